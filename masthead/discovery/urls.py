"""Discovery URLs: each part (search, feeds, sitemaps) declares its own."""

from django.urls import include, path

urlpatterns = [
    path("", include("masthead.discovery.search_urls")),
    path("", include("masthead.discovery.feed_urls")),
    path("", include("masthead.discovery.sitemap_urls")),
]
