"""The app page cache (issue 5, target 2): a hit costs no query and is never staler than the
content version a process may hold (CONTENT_VERSION_SECONDS)."""

import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from masthead.core import versioning
from masthead.edge import middleware
from masthead.editorial.models import ArticlePage
from tests import factories as f
from tests.pagecache import page_cache  # noqa: F401 (autouse fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def story():
    return f.article("Cached story")


def test_a_hit_is_the_same_page_for_no_query(client, story, settings):
    settings.CONTENT_VERSION_SECONDS = 60
    url = f"/articles/{story.slug}/"
    first = client.get(url)
    assert first["X-Masthead-Cache"] == "miss"
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    assert again["X-Masthead-Cache"] == "hit"
    assert len(queries) == 0  # the content version read for the miss is still trusted
    assert again.content == first.content
    assert again["xkey"] == first["xkey"]
    assert again["Cache-Control"] == first["Cache-Control"]


def test_after_the_version_window_a_hit_costs_the_version_query(client, story, settings):
    settings.CONTENT_VERSION_SECONDS = 0.05
    url = f"/articles/{story.slug}/"
    client.get(url)
    time.sleep(0.06)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url)["X-Masthead-Cache"] == "hit"
    assert [q["sql"] for q in queries] == [
        "SELECT token FROM core_contentversion WHERE id = 1"]


def test_another_process_change_is_seen_once_the_window_has_passed(client, story, settings):
    """Another process's commit changes the token without this process knowing: its pages stay
    at most CONTENT_VERSION_SECONDS, then the next request reads the new version."""
    settings.CONTENT_VERSION_SECONDS = 60
    url = f"/articles/{story.slug}/"
    client.get(url)
    with connection.cursor() as cursor:  # what another process's publish leaves in the database
        cursor.execute("UPDATE core_contentversion SET token = 'elsewhere' WHERE id = 1")
    assert client.get(url)["X-Masthead-Cache"] == "hit"
    settings.CONTENT_VERSION_SECONDS = 0.01
    time.sleep(0.02)  # the window has passed
    assert client.get(url)["X-Masthead-Cache"] == "miss"
    assert versioning.current() == "elsewhere"


def test_the_writing_process_sees_its_own_change_at_once(client, story, settings):
    settings.CONTENT_VERSION_SECONDS = 60
    held = versioning.current()
    versioning.bump()
    assert versioning.current() != held


def test_the_process_level_is_bounded_in_bytes(settings):
    settings.PAGE_CACHE_LOCAL_BYTES = 20_000
    pages = middleware.LocalPages()
    for number in range(4):
        pages.set(f"k{number}", (200, (("Content-Type", "text/html"),), b"x" * 4500), 60)
    assert pages.get("k0") is not None  # now the most recently used
    pages.set("k4", (200, (), b"x" * 4500), 60)
    assert pages.get("k1") is None  # the least recently used went out first
    assert all(pages.get(k) is not None for k in ("k0", "k2", "k3", "k4"))
    pages.set("big", (200, (), b"x" * 6000), 60)  # over a quarter of the budget: not kept
    assert pages.get("big") is None
    pages.set("short", (200, (), b"y"), 0)
    assert pages.get("short") is None  # expired


def test_pages_are_kept_once_per_process_without_a_shared_cache(client, story, settings):
    """With per-process memory as Django's cache (no CACHE_URL) pages are not stored twice."""
    settings.CONTENT_VERSION_SECONDS = 60
    url = f"/articles/{story.slug}/"
    client.get(url)
    shared = middleware._shared()
    if shared is None:
        assert not [k for k in cache._cache if "page:" in k]
    else:  # the production-profile session: Redis holds them for the other processes
        middleware.local_pages.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url)["X-Masthead-Cache"] == "hit"
        assert len(queries) == 0


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
