"""Sitemaps and robots.txt: thin views over masthead.discovery.sitemaps."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe

from masthead.core import versioning
from masthead.discovery import sitemaps

XML = "application/xml; charset=utf-8"
KEYS = "sitemap site"  # purged on a publish (articles, authors, tags) or a settings change
CACHE_CONTROL = "public, max-age=300"


def _respond(body: bytes | str, content_type: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["xkey"] = KEYS
    response["Cache-Control"] = CACHE_CONTROL
    return response


@require_safe
def index(request):
    return _respond(sitemaps.index_document(versioning.current()), XML)


@require_safe
def articles(request, number: str):
    body = sitemaps.articles_document(versioning.current(), int(number))
    if body is None:
        raise Http404("No such sitemap page")
    return _respond(body, XML)


@require_safe
def pages(request):
    return _respond(sitemaps.pages_document(versioning.current()), XML)


@require_safe
def news(request):
    return _respond(sitemaps.news_document(versioning.current()), XML)


@require_safe
def robots(request):
    return _respond(sitemaps.robots_txt(), "text/plain; charset=utf-8")
