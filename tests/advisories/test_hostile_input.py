"""Hostile input at the edges: control characters in titles, CR/LF in names, `next=` off the
site, oversized bodies and too many fields. Each case gets a clear refusal and stores nothing,
or (for text that is only odd) is stored clean and every output stays valid."""

from __future__ import annotations

import email
import json
from email import policy
from xml.etree import ElementTree

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from masthead.core import versioning
from masthead.editorial.models import ArticlePage, PublishedArticle
from masthead.newsletter import sending
from masthead.newsletter.models import ConsentEvent, Issue, Subscriber
from tests import factories as f
from tests import roles

pytestmark = pytest.mark.django_db

CONTROL = "\x0b\x1b[31m\x08\x7f\u2028\u202e"
FEEDS = ("/feeds/rss.xml", "/feeds/atom.xml", "/feeds/full/rss.xml", "/feeds/section/europe/"
         "atom.xml", "/sitemaps/news.xml", "/sitemaps/articles-1.xml")
JSON_FEEDS = ("/feeds/feed.json", "/feeds/full/feed.json")


def assert_feeds_valid(client, headline_text: str):
    for url in FEEDS:
        response = client.get(url)
        assert response.status_code == 200, url
        ElementTree.fromstring(response.content)  # raises on a control character
    for url in JSON_FEEDS:
        items = json.loads(client.get(url).content)["items"]
        assert any(headline_text in i["title"] for i in items), url
        for item in items:
            assert not any(ch in item["title"] for ch in "\x0b\x1b\x08\x7f"), item["title"]


def test_control_characters_in_a_headline_typed_in_the_editor_keep_feeds_valid(client):
    """Pasted text with control characters is stored clean; every feed still parses."""
    page = f.article(publish=False)
    editor = roles.client_for(roles.EDITOR)
    data = roles.article_form(page, title=f"Clean{CONTROL} headline", dek=f"A dek{CONTROL}.",
                              **{"action-publish": "action-publish"})
    assert editor.post(f"/admin/pages/{page.pk}/edit/", data).status_code == 302
    page.refresh_from_db()
    assert not any(ch in page.title for ch in "\x0b\x1b\x08\x7f")
    assert_feeds_valid(client, "headline")


def test_control_characters_that_bypassed_the_editor_are_removed_on_output(client):
    """A record written around the editor (a bulk load, raw SQL) still gives valid feeds."""
    page = f.article("Imported headline")
    PublishedArticle.objects.filter(page_id=page.pk).update(
        headline=f"Imported{CONTROL} headline", dek=f"Dek{CONTROL}")
    ArticlePage.objects.filter(pk=page.pk).update(title=f"Imported{CONTROL} headline")
    versioning.bump()
    assert_feeds_valid(client, "headline")


@pytest.mark.parametrize("field,value,message", [
    ("name", "Eve\r\nBcc: victim@example.org", "Your name must be on one line"),
    ("name", "Eve\nX-Injected: yes", "Your name must be on one line"),
    ("email", "eve@example.org\r\nBcc: victim@example.org", "must be on one line"),
    ("email", "eve@example.org%0d%0aBcc:victim@example.org", "Enter a valid email address"),
])
def test_cr_lf_in_a_sign_up_is_refused_and_nothing_stored(client, field, value, message):
    """CR/LF in a reader's name or address would become a header of every email sent to them:
    the sign-up is refused with a message naming the field, and nothing is stored or sent."""
    data = {"email": "eve@example.org", "name": "Eve", field: value}
    response = client.post("/newsletter/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Subscriber.objects.exists() and not ConsentEvent.objects.exists()


def test_a_name_with_cr_lf_stored_anyway_cannot_add_a_header():
    """Names from before the check, or imported: the round-up's To header stays one header."""
    now = timezone.now()
    issue = Issue.objects.create(subject="Round-up\r\nBcc: victim@example.org",
                                 period_start=now, period_end=now)
    roundup = sending.render_issue(issue)
    recipient = sending.Recipient(subscriber_id=1, email="eve@example.org",
                                  name="Eve\r\nBcc: victim@example.org\r\n\r\nBody")
    for raw in (roundup.as_bytes(recipient), roundup.as_message(recipient).message().as_bytes()):
        message = email.message_from_bytes(raw, policy=policy.default)
        assert message["Bcc"] is None and message["X-Injected"] is None
        assert len(message.get_all("To")) == 1 and len(message.get_all("Subject")) == 1
        assert [a.addr_spec for a in message["To"].addresses] == ["eve@example.org"]
        assert "\n" not in message["Subject"] and "\n" not in str(message["To"])


@pytest.mark.parametrize("target", [
    "//evil.example", "//evil.example/admin/", "https://evil.example/", "/\\evil.example",
    "\\\\evil.example", "javascript:alert(1)", "http:/evil.example", " //evil.example",
])
def test_next_off_the_site_is_ignored_after_signing_in(client, target):
    """`next=//evil.example` and its disguises: signing in lands on the dashboard."""
    User.objects.create_user("ed", "ed@example.org", "Correct-Horse-9", is_staff=True,
                             is_superuser=True)
    page = client.get("/admin/login/", {"next": target})
    assert page.status_code == 200 and b"evil.example" not in page.content.replace(
        b"%2F%2Fevil.example", b"")
    response = client.post(f"/admin/login/?next={target}", {
        "username": "ed", "password": "Correct-Horse-9", "next": target})
    assert response.status_code == 302
    assert response["Location"] in ("/admin/", "/admin/2fa/setup/?next=%2Fadmin%2F")
    assert "evil" not in response["Location"]


@pytest.mark.parametrize("url", ["/newsletter/", "/admin/login/", "/admin/password_reset/"])
def test_a_10_mb_form_body_is_a_400_and_stores_nothing(client, url):
    """Form bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) are refused before any view."""
    response = client.post(url, {"email": "big@example.org", "username": "big",
                                 "name": "x" * (10 * 1024 * 1024)})
    assert response.status_code == 400
    assert b"Bad Request" in response.content
    assert not Subscriber.objects.exists() and not ConsentEvent.objects.exists()


@pytest.mark.parametrize("url", ["/newsletter/", "/admin/login/"])
def test_1001_fields_are_a_400_and_store_nothing(client, settings, url):
    """More than DATA_UPLOAD_MAX_NUMBER_FIELDS (1000) fields: refused before any view."""
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 1000
    data = {"email": "many@example.org", **{f"field{i}": "1" for i in range(1000)}}
    response = client.post(url, data)
    assert response.status_code == 400
    assert b"Bad Request" in response.content
    assert not Subscriber.objects.exists()


def test_1001_fields_in_the_article_editor_are_refused_and_nothing_saved():
    """The editor's own form is under the limit; a padded one is refused whole."""
    page = f.article(publish=False)
    editor = roles.client_for(roles.EDITOR)
    data = roles.article_form(page, title="Padded headline")
    assert len(data) < 200
    data.update({f"padding{i}": "1" for i in range(1001 - len(data))})
    response = editor.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 400
    assert page.revisions.count() == 1
    assert not ArticlePage.objects.filter(title="Padded headline").exists()
