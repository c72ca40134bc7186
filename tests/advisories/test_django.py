"""Regression tests for published Django advisories, one per class, replayed against Masthead."""

from __future__ import annotations

import ast
import re
import smtplib
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.auth.models import User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail.backends.base import BaseEmailBackend

from masthead.core.models import MastheadImage
from masthead.newsletter.models import ConsentEvent, Subscriber
from tests import factories as f
from tests import roles

pytestmark = pytest.mark.django_db

DRAFT = "Unpublished scoop"
TOKEN = re.compile(r"[A-Za-z0-9+/_-]{20,}={0,2}")


class FailingBackend(BaseEmailBackend):
    """A mail server that refuses everything."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"x": (550, b"no")})


def test_cve_2023_24580_too_many_files_in_one_request_is_a_400_and_stores_nothing(client):
    """CVE-2023-24580: a multipart request with very many file parts exhausted memory and
    file handles. Over DATA_UPLOAD_MAX_NUMBER_FILES (100) the request is refused with 400,
    before any view stores anything: a reader's sign-up, an editor's image upload."""
    files = [SimpleUploadedFile(f"f{i}.txt", b"x") for i in range(101)]
    response = client.post("/newsletter/", {"email": "many@example.org", "file": files})
    assert response.status_code == 400
    assert b"Bad Request" in response.content
    assert not Subscriber.objects.exists() and not ConsentEvent.objects.exists()

    editor = roles.client_for(roles.EDITOR)
    images = [SimpleUploadedFile(f"i{i}.png", b"\x89PNG", content_type="image/png")
              for i in range(101)]
    response = editor.post("/admin/images/multiple/add/", {"files[]": images})
    assert response.status_code == 400
    assert not MastheadImage.objects.exists()


def test_cve_2024_39329_login_runs_the_hasher_for_unusable_passwords_and_unknown_names(client):
    """CVE-2024-39329: a sign-in for an account with an unusable password returned without
    hashing, so its timing told an attacker the account existed. Every failed sign-in (wrong
    password, unusable password, no such account) costs one hash, and reads the same."""
    User.objects.create_user("known", "known@example.org", "right-password", is_staff=True)
    unusable = User.objects.create_user("sso-only", "sso@example.org", is_staff=True)
    unusable.set_unusable_password()
    unusable.save()
    pages = {}
    for username in ("known", "sso-only", "nobody-at-all"):
        # encode() is the costly part of checking a password.
        with mock.patch.object(MD5PasswordHasher, "encode", autospec=True,
                               side_effect=MD5PasswordHasher.encode) as encode:
            response = client.post("/admin/login/", {"username": username,
                                                     "password": "wrong-password"})
        assert encode.call_count >= 1, f"no password was hashed for {username}"
        assert response.status_code == 200 and "_auth_user_id" not in client.session
        # The same page but for the name typed and per-response tokens (CSRF, CSP nonce).
        pages[username] = TOKEN.sub("T", response.content.decode().replace(username, "NAME"))
    assert pages["known"] == pages["sso-only"] == pages["nobody-at-all"]


def test_cve_2024_45231_password_reset_says_the_same_for_every_address(client, settings):
    """CVE-2024-45231: the password-reset view answered differently (an error) when mailing a
    known address failed, so it disclosed which addresses have accounts. Known, unknown and
    unmailable addresses all get the same redirect; only a known address gets a message."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    User.objects.create_user("known", "known@example.org", "pw", is_staff=True)
    answers = []
    for email in ("known@example.org", "nobody@example.org"):
        response = client.post("/admin/password_reset/", {"email": email})
        answers.append((response.status_code, response["Location"]))
    assert [m.to for m in mail.outbox] == [["known@example.org"]]
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    response = client.post("/admin/password_reset/", {"email": "known@example.org"})
    answers.append((response.status_code, response["Location"]))
    assert answers == [(302, "/admin/password_reset/done/")] * 3


HOSTILE_PARAMS = [
    {"_connector": "OR 1=1) --"},
    {"_negated": "True", "_connector": "OR"},
    {"section__in": "1", "_connector": "') OR 1=1 --"},
    {"page": "1", "id__gt": "0", "live": "false", "status": "draft"},
    {'kind") OR 1=1 --': "x", "page": "1"},
    {"ordering": "-password", "order": "owner__password", "q": "x", "p": "2"},
    {"content__section": "1", "values": '{"a": "b"}', "fields": "__all__"},
    # A search together with each listing's own filters and an ordering.
    {"q": "story", "section": "1", "live": "true", "role": "staff", "status": "draft",
     "ordering": "-first_published_at", "_connector": "OR"},
]
READER_URLS = ["/", "/articles/", "/section/europe/", "/kind/analysis/", "/briefs/", "/search/",
               "/feeds/feed.json", "/feeds/section/europe/rss.xml", "/sitemap.xml",
               "/sitemaps/articles-1.xml"]
ADMIN_URLS = ["/admin/pages/search/", "/admin/snippets/briefs/brief/",
              "/admin/snippets/editorial/author/", "/admin/newsletter/subscribers/",
              "/admin/newsletter/round-ups/", "/admin/images/", "/admin/reports/site-history/"]


@pytest.mark.parametrize("params", HOSTILE_PARAMS)
def test_cve_2024_42005_and_cve_2025_64459_filter_keywords_from_the_query_string(client, params):
    """CVE-2024-42005 (SQL injection through QuerySet.values() JSON keys) and CVE-2025-64459
    (SQL injection through `_connector` / `_negated` when a dict is expanded into filter() or
    Q()): hostile parameter names and values on every listing, reader or admin, answer without
    an error and without showing a draft or another status's subscribers."""
    f.article("Live story", section_slug="europe")
    f.article(DRAFT, section_slug="europe", publish=False)
    Subscriber.objects.create(email="confirmed@example.org", status="confirmed")
    Subscriber.objects.create(email="gone@example.org", status="unsubscribed")
    editor = roles.client_for(roles.EDITOR)
    for c, urls in ((client, READER_URLS), (editor, ADMIN_URLS)):
        for url in urls:
            response = c.get(url, params)
            assert response.status_code in (200, 400, 404), (url, response.status_code)
            if url.startswith("/admin/"):
                continue
            assert DRAFT.encode() not in response.content, url
    unsubscribed = editor.get("/admin/newsletter/subscribers/",
                              {**params, "status": "unsubscribed", "q": ""})
    assert b"gone@example.org" in unsubscribed.content
    assert b"confirmed@example.org" not in unsubscribed.content


def _request_kwargs_expansions(path: Path) -> list[str]:
    """`**something` passed to a call where something comes from the request."""
    found = []
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg is None and "request" in ast.unparse(keyword.value):
                    found.append(f"{path}:{node.lineno}: {ast.unparse(node)[:120]}")
    return found


def test_no_view_expands_request_data_into_keyword_arguments():
    """CVE-2024-42005 / CVE-2025-64459 need a view that turns request keys into keyword
    arguments (filter(**request.GET), Q(**params)). Masthead's code never does."""
    package = Path(settings.BASE_DIR) / "masthead"
    found = [hit for path in package.rglob("*.py") if "migrations" not in path.parts
             for hit in _request_kwargs_expansions(path)]
    assert not found, found
