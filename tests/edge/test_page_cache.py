"""The app page cache (issue 5, target 2): a hit costs one query and is never stale."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from masthead.editorial.models import ArticlePage
from tests import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def story():
    return f.article("Cached story")


def test_a_hit_is_the_same_page_for_one_query(client, story):
    url = f"/articles/{story.slug}/"
    first = client.get(url)
    assert first["X-Masthead-Cache"] == "miss"
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    assert again["X-Masthead-Cache"] == "hit"
    assert len(queries) == 1  # the content version
    assert again.content == first.content
    assert again["xkey"] == first["xkey"]
    assert again["Cache-Control"] == first["Cache-Control"]


def test_a_publish_makes_the_next_request_fresh(client, story):
    url = f"/articles/{story.slug}/"
    client.get(url)
    page = ArticlePage.objects.get(pk=story.pk)
    page.title = "Cached story, updated"
    page.save_revision().publish()
    response = client.get(url)
    assert response["X-Masthead-Cache"] == "miss"
    assert b"Cached story, updated" in response.content


def test_listing_pages_are_kept_per_page_number(client):
    for _ in range(3):
        f.article()
    client.get("/articles/")
    assert client.get("/articles/")["X-Masthead-Cache"] == "hit"
    assert client.get("/articles/?page=1")["X-Masthead-Cache"] == "miss"


def test_searches_and_odd_queries_are_not_kept(client, story):
    for url in ("/search/?q=cached", "/articles/?utm_source=x", "/articles/?page=1x"):
        client.get(url)
        assert "X-Masthead-Cache" not in client.get(url), url


def test_logged_in_requests_neither_read_nor_fill_it(client, story, django_user_model):
    url = f"/articles/{story.slug}/"
    client.get(url)  # an anonymous copy is cached
    editor = django_user_model.objects.create_superuser("ed", "ed@example.com", "pw")
    client.force_login(editor)
    response = client.get(url)
    assert "X-Masthead-Cache" not in response
    assert response["Cache-Control"] == "private, no-store"


def test_pages_that_set_cookies_or_fail_are_not_kept(client):
    client.get("/articles/no-such-story/")
    assert "X-Masthead-Cache" not in client.get("/articles/no-such-story/")
    client.get("/admin/login/")
    assert "X-Masthead-Cache" not in client.get("/admin/login/")


def test_switched_off_with_zero(client, story, settings):
    settings.PAGE_CACHE_SECONDS = 0
    url = f"/articles/{story.slug}/"
    client.get(url)
    assert "X-Masthead-Cache" not in client.get(url)


def test_the_cache_backend_is_the_configured_one(settings):
    """In `make test`'s production-profile session CACHE_URL points at a real Redis."""
    import os

    if os.environ.get("CACHE_URL", "").startswith("redis://"):
        from django.core.cache import caches
        from django.core.cache.backends.redis import RedisCache

        assert isinstance(caches["default"], RedisCache)
        cache.set("probe", b"x" * 10, 5)
        assert cache.get("probe") == b"x" * 10
