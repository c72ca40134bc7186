"""Security headers and cookies on every response, the policy of reader pages (the same for
every request: they are cached whole) and of the admin, and templates free of inline script."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory

from masthead.security.csp import CSPMiddleware
from tests import factories as f

from .conftest import log_in

pytestmark = pytest.mark.django_db

READER_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; media-src 'self'; frame-src 'none'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "report-uri /csp-report/; report-to csp"
)


@pytest.fixture
def story():
    f.article("An older story", body=f.paragraphs(5))
    return f.article(
        "A story with every kind of block",
        tags=["ports"],
        body=[
            *f.paragraphs(4),
            {"type": "heading", "value": "A heading"},
            {"type": "block_quote", "value": {"quote": "Quoted.", "attribution": "Someone"}},
            {"type": "pull_quote", "value": {"text": "Pulled."}},
            {"type": "embed", "value": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
            {"type": "footnote", "value": {"note": "<p>A note.</p>"}},
        ],
    )


def reader_paths(story) -> list[str]:
    author = story.authors.first().author
    return [
        "/", f"/articles/{story.slug}/", "/articles/", "/section/europe/", "/kind/analysis/",
        "/tag/ports/", f"/authors/{author.slug}/", "/briefs/", "/search/?q=story",
        "/newsletter/", "/no-such-page/",
    ]


def test_reader_pages_share_one_policy_hit_or_miss(client, settings, story):
    settings.PAGE_CACHE_SECONDS = 300
    cache.clear()
    url = f"/articles/{story.slug}/"
    miss, hit = client.get(url), client.get(url)
    assert (miss["X-Masthead-Cache"], hit["X-Masthead-Cache"]) == ("miss", "hit")
    policies = {miss["Content-Security-Policy"], hit["Content-Security-Policy"]}
    policies |= {client.get(path)["Content-Security-Policy"] for path in reader_paths(story)}
    cache.clear()
    assert policies == {READER_POLICY}  # no nonce, nothing inline, nothing from elsewhere


def test_the_same_headers_everywhere(client, superuser, story):
    client.force_login(superuser)
    for path in (f"/articles/{story.slug}/", "/admin/", "/healthz"):
        response = client.get(path)
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "camera=()" in response["Permissions-Policy"]
        assert "geolocation=()" in response["Permissions-Policy"]
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_the_admin_policy_allows_inline_styles_but_not_inline_scripts(client, superuser, story):
    client.force_login(superuser)
    response = client.get(f"/admin/pages/{story.pk}/edit/")
    policy = dict(p.split(" ", 1) for p in response["Content-Security-Policy"].split("; "))
    assert "'unsafe-inline'" in policy["style-src"]
    nonce = re.fullmatch(r"'self' 'nonce-([A-Za-z0-9+/=]+)'", policy["script-src"])[1]
    assert f'nonce="{nonce}"' in response.content.decode()
    # A fresh nonce for every admin response.
    assert client.get(f"/admin/pages/{story.pk}/edit/")["Content-Security-Policy"] != (
        response["Content-Security-Policy"])


def test_a_page_that_may_be_framed_by_the_site_says_so_in_its_policy():
    """Wagtail's live preview (X-Frame-Options: SAMEORIGIN) is framed by the editor."""
    def view(request):
        response = HttpResponse("<p>preview</p>")
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response

    request = RequestFactory().get("/admin/pages/3/edit/preview/")
    response = CSPMiddleware(view)(request)
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]


def test_the_mastodon_hand_off_may_redirect_its_form_to_another_site(client, story):
    response = client.get(f"/share/mastodon/?url=/articles/{story.slug}/")
    assert "form-action 'self' https:" in response["Content-Security-Policy"]


def test_cookies_are_http_only_and_same_site(client, superuser):
    client.get("/admin/login/")
    response = log_in(client, superuser.username)
    session = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax"
    csrf = client.cookies[django_settings.CSRF_COOKIE_NAME]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"


class _InlineFinder(HTMLParser):
    """What could run on a reader's page: inline scripts, <style>, style attributes, event
    handlers, frames and plugins, inline SVG/MathML, and javascript:/data: URLs."""

    EMBEDDING = frozenset({"iframe", "frame", "object", "embed", "svg", "math", "base"})
    URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "srcset"})

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs and attrs.get("type") != "application/ld+json":
            self.found.append("inline <script>")
        if tag == "style" or tag in self.EMBEDDING:
            self.found.append(f"<{tag}>")
        for name, value in attrs.items():
            if name == "style" or name.startswith("on"):
                self.found.append(f"{name}= on <{tag}>")
            url = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name in self.URL_ATTRIBUTES and url.startswith(
                    ("javascript:", "data:", "vbscript:")):
                self.found.append(f"{name}={value[:30]} on <{tag}>")


def inline_code(html: str) -> list[str]:
    finder = _InlineFinder()
    finder.feed(html)
    return finder.found


def test_reader_pages_have_no_inline_script_style_or_handler(client, story):
    for path in [*reader_paths(story), f"/share/mastodon/?url=/articles/{story.slug}/"]:
        response = client.get(path)
        assert inline_code(response.content.decode()) == [], path


def test_reader_templates_have_no_inline_script_style_or_handler():
    """The templates themselves, so a page this suite does not render is covered too."""
    for template in sorted(Path(django_settings.BASE_DIR, "jinja2").rglob("*.html")):
        source = re.sub(r"\{#.*?#\}", "", template.read_text(), flags=re.S)  # comments
        without_ld = re.sub(r'<script type="application/ld\+json">', "", source)
        assert not re.search(r"<script(?![^>]*\bsrc=)", without_ld), template
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", source), template
