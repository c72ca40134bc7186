"""Pages a process holds are answered before Django (masthead/edge/wsgi.py), never wrongly."""

import io

import pytest
from django.core.handlers.wsgi import WSGIHandler

from masthead.edge.middleware import local_pages
from masthead.edge.wsgi import PageCacheApp
from masthead.editorial.models import ArticlePage
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 300
    settings.CONTENT_VERSION_SECONDS = 60


class Counting:
    """Django's WSGI handler, counting the requests that reach it."""

    def __init__(self):
        self.django = WSGIHandler()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.django(environ, start_response)


@pytest.fixture
def app():
    return Counting()


def ask(application, path, *, method="GET", query="", **extra):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
               "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver",
               "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "http", **extra}
    started = []
    chunks = application(environ, lambda status, headers: started.append((status, headers)))
    body = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    status, headers = started[0]
    return status, dict(headers), body


@pytest.fixture
def story():
    return f.article("Fast story")


def test_a_held_page_is_answered_without_django(app, story):
    fast = PageCacheApp(app)
    url = f"/articles/{story.slug}/"
    status, headers, body = ask(fast, url)
    assert (status, headers["X-Masthead-Cache"], app.calls) == ("200 OK", "miss", 1)
    again_status, again_headers, again_body = ask(fast, url)
    assert app.calls == 1
    assert again_status == "200 OK" and again_body == body
    assert again_headers["X-Masthead-Cache"] == "hit"
    for name in ("Content-Type", "Cache-Control", "xkey", "Content-Security-Policy",
                 "X-Content-Type-Options", "Referrer-Policy"):
        assert again_headers[name] == headers[name], name
    head_status, _, head_body = ask(fast, url, method="HEAD")
    assert (head_status, head_body, app.calls) == ("200 OK", b"", 1)


@pytest.mark.parametrize("extra", [
    {"HTTP_COOKIE": "sessionid=abc"},
    {"HTTP_COOKIE": "theme=dark; sessionid=abc"},
    {"HTTP_AUTHORIZATION": "Basic eDp5"},
])
def test_signed_in_requests_always_reach_django(app, story, extra):
    fast = PageCacheApp(app)
    url = f"/articles/{story.slug}/"
    ask(fast, url)
    _, headers, _ = ask(fast, url, **extra)
    assert app.calls == 2
    assert headers["Cache-Control"] == "private, no-store"


def test_writes_searches_and_odd_queries_reach_django(app, story):
    fast = PageCacheApp(app)
    ask(fast, "/articles/")
    ask(fast, "/articles/", method="POST")
    ask(fast, "/articles/", query="utm_source=x")
    ask(fast, "/search/", query="q=fast")
    ask(fast, "/search/", query="q=fast")
    assert app.calls == 5


def test_once_the_version_window_has_passed_django_reads_the_version(app, story, settings):
    fast = PageCacheApp(app)
    url = f"/articles/{story.slug}/"
    ask(fast, url)
    settings.CONTENT_VERSION_SECONDS = 0
    _, headers, _ = ask(fast, url)
    assert app.calls == 2 and headers["X-Masthead-Cache"] == "hit"  # EdgeMiddleware's hit


def test_a_publish_in_this_process_is_seen_at_once(app, story):
    fast = PageCacheApp(app)
    url = f"/articles/{story.slug}/"
    ask(fast, url)
    page = ArticlePage.objects.get(pk=story.pk)
    page.title = "Fast story, corrected"
    page.save_revision().publish()
    _, headers, body = ask(fast, url)
    assert app.calls == 2 and headers["X-Masthead-Cache"] == "miss"
    assert b"Fast story, corrected" in body


def test_off_when_the_page_cache_or_its_process_level_is(app, story, settings):
    url = f"/articles/{story.slug}/"
    for setting in ("PAGE_CACHE_SECONDS", "PAGE_CACHE_LOCAL_BYTES"):
        fast = PageCacheApp(app)
        local_pages.clear()
        before = app.calls
        ask(fast, url)
        saved = getattr(settings, setting)
        setattr(settings, setting, 0)
        ask(fast, url)
        assert app.calls == before + 2, setting
        setattr(settings, setting, saved)


def test_the_served_application_is_wrapped():
    from masthead import wsgi

    assert isinstance(wsgi.application, PageCacheApp)
