"""Search URLs."""

from django.urls import path

from masthead.discovery import views_search

urlpatterns = [
    path("search/", views_search.search, name="search"),
]
