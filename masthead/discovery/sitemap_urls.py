"""Sitemap and robots.txt URLs, and the Mastodon share hand-off (share links are the metadata
side of discovery: what a page says about itself when it is found or passed on)."""

from django.urls import path, re_path

from masthead.discovery import share, views_sitemaps

urlpatterns = [
    path("robots.txt", views_sitemaps.robots, name="robots"),
    path("sitemap.xml", views_sitemaps.index, name="sitemap-index"),
    # No leading zeros: one address per page.
    re_path(r"^sitemaps/articles-(?P<number>[1-9][0-9]{0,5})\.xml$", views_sitemaps.articles,
            name="sitemap-articles"),
    path("sitemaps/pages.xml", views_sitemaps.pages, name="sitemap-pages"),
    path("sitemaps/news.xml", views_sitemaps.news, name="sitemap-news"),
    path("share/mastodon/", share.mastodon, name="share-mastodon"),
]
