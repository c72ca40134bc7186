"""Cache poisoning and cache leaks (the class of Django's cache advisories and of web cache
poisoning reports): what a request may vary must not end up in a page another reader is served,
and nothing meant for one person is stored for everyone (docs/caching.md)."""

from __future__ import annotations

import pytest
from wagtail.models import PageViewRestriction

from tests import factories as f
from tests import roles
from tests.pagecache import page_cache, page_cache_keys  # noqa: F401 (autouse fixture)

pytestmark = pytest.mark.django_db

EVIL = "evil.example"
PRODUCTION_HOSTS = ["127.0.0.1", "localhost"]


cached_keys = page_cache_keys


def test_the_cache_keys_seen_here_are_the_page_cache_s(client):
    """The checks below look for what must not be stored: they see what is."""
    assert not cached_keys()
    assert client.get("/")["X-Masthead-Cache"] == "miss"
    assert [k for k in cached_keys() if k.endswith(":/?")]


def private(response) -> bool:
    value = response["Cache-Control"]
    return "private" in value and "no-store" in value and "public" not in value


@pytest.fixture
def story():
    return f.article("Cached story")


def test_an_unknown_host_is_refused_and_nothing_is_cached(client, settings, story):
    """The Host header picks nothing: a host outside ALLOWED_HOSTS is a 400, never stored."""
    settings.ALLOWED_HOSTS = PRODUCTION_HOSTS
    for url in ("/", f"/articles/{story.slug}/", "/feeds/rss.xml", "/sitemap.xml"):
        response = client.get(url, HTTP_HOST=EVIL)
        assert response.status_code == 400, url
        assert EVIL.encode() not in response.content
    assert not [k for k in cached_keys() if EVIL in k]
    assert client.get("/")["X-Masthead-Cache"] == "miss"


def test_forwarded_host_and_proto_do_not_reach_absolute_urls(client, settings, story):
    """X-Forwarded-Host is not trusted (USE_X_FORWARDED_HOST off): canonical links, feeds and
    sitemaps name SITE_URL whatever the request says, so a cached copy cannot be poisoned."""
    settings.ALLOWED_HOSTS = PRODUCTION_HOSTS
    assert not settings.USE_X_FORWARDED_HOST
    poison = {"HTTP_X_FORWARDED_HOST": EVIL, "HTTP_X_FORWARDED_SERVER": EVIL,
              "HTTP_X_HOST": EVIL, "HTTP_FORWARDED": f"host={EVIL}"}
    urls = ("/", f"/articles/{story.slug}/", "/feeds/rss.xml", "/feeds/feed.json",
            "/sitemap.xml", "/robots.txt")
    for url in urls:
        response = client.get(url, **poison)
        assert response.status_code == 200, url
        assert EVIL.encode() not in response.content, url
    for url in urls:
        again = client.get(url)
        assert EVIL.encode() not in again.content
    article = client.get(f"/articles/{story.slug}/")
    assert article["X-Masthead-Cache"] == "hit"
    assert f'href="{settings.SITE_URL}/articles/{story.slug}/"'.encode() in article.content


def test_a_signed_in_page_is_never_public_nor_stored(story):
    """Whatever a signed-in editor is shown (the admin's own choices, a session) stays theirs:
    private, no-store, kept out of the page cache, and the next reader gets a fresh page."""
    editor = roles.client_for(roles.EDITOR)
    for url in ("/", f"/articles/{story.slug}/", "/section/europe/", "/briefs/",
                "/feeds/rss.xml", "/search/?q=cached", "/admin/"):
        response = editor.get(url)
        assert response.status_code == 200, url
        assert private(response), url
        assert "xkey" not in response and "X-Masthead-Cache" not in response, url
    assert not cached_keys()


def test_a_private_page_is_never_cached(client, story):
    """A page behind a view restriction is never public, for the password form or the story."""
    PageViewRestriction.objects.create(page=story, restriction_type="password",
                                       password="sesame")
    response = client.get(f"/articles/{story.slug}/")
    assert response.status_code == 200 and b"Cached story" not in response.content
    assert private(response)
    action = f"/_util/authenticate_with_password/{story.view_restrictions.get().pk}/{story.pk}/"
    client.post(action, {"password": "sesame", "return_url": f"/articles/{story.slug}/"})
    unlocked = client.get(f"/articles/{story.slug}/")
    assert b"Cached story" in unlocked.content
    assert private(unlocked)
    assert not cached_keys()
    assert b"Cached story" not in roles.client_for(roles.ANONYMOUS).get(
        f"/articles/{story.slug}/").content


def test_unkeyed_query_parameters_neither_change_nor_split_the_page(client, story):
    """Parameters the page does not use (trackers, junk) are not reflected in it, and such a
    request is not stored under its own key, so it cannot plant a variant for others."""
    url = f"/articles/{story.slug}/"
    clean = client.get(url)
    for query in (f"utm_source={EVIL}", f"callback={EVIL}", f"x=%3Cscript%3E{EVIL}",
                  "page=1x", f"_={EVIL}"):
        response = client.get(f"{url}?{query}")
        assert response.status_code in (200, 404), query
        assert EVIL.encode() not in response.content and b"<script>evil" not in response.content
        assert "X-Masthead-Cache" not in response, query
    assert client.get(url).content == clean.content
    assert [k for k in cached_keys() if "?" in k and not k.endswith("?")] == []
