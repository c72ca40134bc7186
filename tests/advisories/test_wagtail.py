"""Regression tests for published Wagtail advisories, one per class, replayed against Masthead.

Each docstring names the advisory and what it was about; the test is the Masthead scenario.
"""

from __future__ import annotations

import io
import json
import time
from xml.etree import ElementTree

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from wagtail.models import Collection
from wagtail.search.utils import parse_query_string
from wagtail.test.utils.form_data import rich_text

from masthead.core.models import MagazineSettings, MastheadImage
from masthead.editorial.models import Author, PublishedArticle, Section
from masthead.newsletter.models import Issue, Subscriber
from tests import factories as f
from tests import roles

pytestmark = pytest.mark.django_db

XSS = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
RAW = (b"<img src=x onerror", b"<script>alert(2)")


def assert_inert(response, *, where: str):
    """The hostile text is on the page (so the test looked at it), as text only."""
    assert response.status_code == 200, where
    assert b"onerror=alert(1)" in response.content, f"{where}: the text is not shown at all"
    for raw in RAW:
        assert raw not in response.content, f"{where}: {raw!r} rendered as markup"


def denied(response) -> bool:
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == "/admin/")


@pytest.fixture
def editor():
    return roles.client_for(roles.EDITOR)


def hostile_draft(owner):
    """A contributor's draft with markup in every field an editor will look at."""
    body = [{"type": "heading", "value": XSS},
            {"type": "paragraph", "value": f"<p>{XSS.replace('<', '&lt;')}</p>"},
            {"type": "pull_quote", "value": {"text": XSS}},
            {"type": "block_quote", "value": {"quote": XSS, "attribution": XSS}}]
    page = f.article(f"Headline {XSS}", publish=False, owner=owner, dek=f"Dek {XSS}",
                     body=body, top_image_credit=XSS)
    page.title = f"Second draft {XSS}"
    page.save_revision(user=owner)
    return page


def test_cve_2020_11001_revision_comparison_escapes_what_a_contributor_wrote(editor):
    """CVE-2020-11001: XSS through the page revision comparison view. A contributor's markup in
    a draft must show as text when an editor compares revisions."""
    page = hostile_draft(roles.user_for(roles.CONTRIBUTOR))
    first, latest = page.revisions.order_by("pk")
    for url in (f"/admin/pages/{page.pk}/revisions/compare/earliest...latest/",
                f"/admin/pages/{page.pk}/revisions/compare/{first.pk}...{latest.pk}/",
                f"/admin/pages/{page.pk}/revisions/{first.pk}/view/",
                f"/admin/pages/{page.pk}/history/"):
        assert_inert(editor.get(url), where=url)


def test_cve_2021_29434_javascript_links_in_rich_text_never_reach_readers(editor):
    """CVE-2021-29434: rich text link URLs were not validated, so `javascript:` links were
    stored and rendered. Through the editor or written straight into the body, a published
    article carries no javascript: link."""
    page = f.article(publish=False)
    body = rich_text('<p>Read <a href="javascript:alert(document.cookie)">this</a> and '
                     '<a href="https://example.org/ok">that</a>.</p>')
    data = roles.article_form(page, **{"action-publish": "action-publish"})
    data.update({"body-count": "1", "body-0-type": "paragraph", "body-0-value": body,
                 "body-0-deleted": "", "body-0-order": "0", "body-0-id": ""})
    assert editor.post(f"/admin/pages/{page.pk}/edit/", data).status_code == 302
    raw = f.article(body=[{"type": "paragraph", "value":
                           '<p><a href="javascript:alert(1)">raw</a> '
                           '<a href=" JaVaScRiPt:alert(1)">spaced</a></p>'}])
    for story in (page, raw):
        html = PublishedArticle.objects.get(page_id=story.pk).body_html.lower()
        assert "javascript:" not in html, html
        reader = editor.get(f"/articles/{story.slug}/")
        assert b"javascript:" not in reader.content.lower()
    assert 'href="https://example.org/ok"' in PublishedArticle.objects.get(page_id=page.pk).body_html


def test_cve_2021_32681_streamfield_values_are_escaped_in_the_editor(editor):
    """CVE-2021-32681: StreamField block values (and labels) were inserted into the admin editor
    as HTML. A draft's block values must reach the editing form as data, not markup."""
    page = hostile_draft(roles.user_for(roles.CONTRIBUTOR))
    assert_inert(editor.get(f"/admin/pages/{page.pk}/edit/"), where="edit")
    assert_inert(editor.get(f"/admin/pages/{page.pk}/view_draft/"), where="view_draft")


def test_cve_2023_28836_listings_escape_names_readers_and_writers_typed(editor, client):
    """CVE-2023-28836: stored XSS in ModelAdmin listing and inspect views. Readers choose their
    own subscriber name, contributors write brief headlines: the editors' listings escape both."""
    client.post("/newsletter/", {"email": "mallory@example.org", "name": XSS})
    assert Subscriber.objects.filter(name=XSS).exists()
    subscriber = Subscriber.objects.get()
    Author.objects.create(name=f"Writer {XSS}", slug="hostile-writer")
    f.brief(f"Brief {XSS}")
    issue = Issue.objects.create(subject=f"Round-up {XSS}", period_start="2026-01-01T00:00Z",
                                 period_end="2026-01-08T00:00Z")
    for url in ("/admin/newsletter/subscribers/", f"/admin/newsletter/subscribers/history/"
                f"{subscriber.pk}/", "/admin/snippets/editorial/author/",
                "/admin/snippets/briefs/brief/", "/admin/newsletter/round-ups/",
                f"/admin/newsletter/round-ups/send/{issue.pk}/"):
        assert_inert(editor.get(url), where=url)


def test_cve_2023_28837_oversized_uploads_are_refused_before_processing(editor, settings):
    """CVE-2023-28837: uploaded images and documents were read into memory whole, so one huge
    upload could exhaust the server. Images over WAGTAILIMAGES_MAX_UPLOAD_SIZE are refused with
    a message and nothing is stored; bigger request bodies spill to disk; the TLS front refuses
    bodies larger than the largest upload."""
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2_621_440
    limit = settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE
    assert limit and limit <= 25 * 1024 * 1024
    nginx = (settings.BASE_DIR / "deploy/nginx/masthead-tls.conf").read_text()
    assert "client_max_body_size 25m;" in nginx

    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10_000
    buf = io.BytesIO()
    PILImage.effect_noise((200, 200), 90).convert("RGB").save(buf, "PNG")
    assert buf.tell() > 10_000
    upload = SimpleUploadedFile("huge.png", buf.getvalue(), content_type="image/png")
    response = editor.post("/admin/images/add/", {
        "title": "Huge", "file": upload, "collection": Collection.get_first_root_node().pk,
        "credit": "Photo: Someone"})
    assert response.status_code == 200
    assert "too big" in response.content.decode()
    assert not MastheadImage.objects.filter(title="Huge").exists()


@pytest.mark.parametrize("query", [
    '"' * 3000,
    "a " * 100 + ":" * 3000,
    " ".join(f"{'x' * 3}:{'y' * 3}" for _ in range(400)),
    ('"' + "a" * 30 + " ") * 200,
    "-" * 5000 + "x",
])
def test_cve_2024_39317_hostile_search_queries_are_parsed_quickly(editor, client, query):
    """CVE-2024-39317: regular-expression denial of service in Wagtail's search query parsing
    (parse_query_string, which the admin search uses). Hostile queries parse at once, and the
    reader search (its own parser, at most 200 characters) answers at once."""
    started = time.perf_counter()
    parse_query_string(query)
    assert time.perf_counter() - started < 0.25
    started = time.perf_counter()
    response = client.get("/search/", {"q": query})
    assert time.perf_counter() - started < 2
    assert response.status_code == 200
    assert editor.get("/admin/pages/search/", {"q": query[:1000]}).status_code == 200


def test_a_very_long_admin_search_is_answered_not_a_server_error(editor):
    """Found beside CVE-2024-39317: any signed-in user got a 500 from a 3,000-word admin search
    (the SQLite search backend nests one And per word and overflows the recursion limit).
    Masthead cuts admin searches to their first words (masthead/security/admin_guards.py)."""
    assert editor.get("/admin/pages/search/", {"q": "word " * 3000}).status_code == 200


def test_cve_2023_45809_user_bulk_actions_disclose_no_names_to_non_administrators():
    """CVE-2023-45809: the admin's user bulk-action views showed the names of the chosen
    accounts to anyone with admin access. Every role short of administrator is turned away
    without seeing whom the ids belong to, and nothing changes."""
    chief = roles.user_for(roles.ADMINISTRATOR, "chief")
    chief.first_name, chief.last_name = "Philippa", "Quartermaine"
    chief.save()
    other = roles.user_for(roles.EDITOR, "colleague")
    ids = f"id={chief.pk}&id={other.pk}"
    for role in (roles.CONTRIBUTOR, roles.SECTION_EDITOR, roles.EDITOR):
        client = roles.client_for(role)
        for action in ("delete", "set_active_state", "assign_role"):
            url = f"/admin/bulk/wagtailusers/user/{action}/?{ids}&next=/admin/users/"
            for response in (client.get(url), client.post(url, {"mark_as_active": "",
                                                                 "role": "1"})):
                assert response.status_code in (302, 403, 404), (role, action)
                assert b"Quartermaine" not in response.content
                assert b"colleague@example.org" not in response.content
    chief.refresh_from_db()
    other.refresh_from_db()
    assert chief.is_active and other.is_active and chief.is_superuser
    assert other.groups.count() == 1


def test_cve_2024_32882_snippet_and_model_edit_views_check_the_change_permission():
    """CVE-2024-32882: ModelViewSet and SnippetViewSet edit views did not check the change
    permission, so anyone who could list the objects could edit them. Contributors may view
    authors and sections (bylines and labels) and nothing else."""
    author = f.author("Ana Lima")
    section = f.section("europe")
    now = "2026-01-01T00:00Z"
    issue = Issue.objects.create(subject="Round-up", period_start=now, period_end=now)
    for role in (roles.CONTRIBUTOR, roles.SECTION_EDITOR):
        client = roles.client_for(role)
        assert client.get("/admin/snippets/editorial/author/").status_code == 200
        for url, data in (
            (f"/admin/snippets/editorial/author/edit/{author.pk}/",
             {"name": "Defaced", "slug": author.slug, "role": "staff"}),
            (f"/admin/snippets/editorial/section/edit/{section.pk}/",
             {"name": "Defaced", "slug": section.slug, "sort_order": "0"}),
            (f"/admin/newsletter/round-ups/edit/{issue.pk}/", {"subject": "Defaced"}),
        ):
            assert denied(client.get(url)), (role, url)
            assert denied(client.post(url, data)), (role, url)
    assert Author.objects.get(pk=author.pk).name == "Ana Lima"
    assert Section.objects.get(pk=section.pk).name == "Europe"
    assert Issue.objects.get(pk=issue.pk).subject == "Round-up"


def test_cve_2024_35228_settings_need_their_own_permission():
    """CVE-2024-35228: the wagtail.contrib.settings edit view checked the wrong permission, so
    any admin user who knew the URL could change site settings. Only editors (and
    administrators) change the magazine settings."""
    settings_pk = MagazineSettings.load().pk
    url = f"/admin/settings/core/magazinesettings/{settings_pk}/"
    before = MagazineSettings.objects.values().get(pk=settings_pk)
    for role in (roles.CONTRIBUTOR, roles.SECTION_EDITOR):
        client = roles.client_for(role)
        assert denied(client.get(url)), role
        assert denied(client.post(url, {"magazine_name": "Defaced", "tagline": "Defaced"}))
    assert MagazineSettings.objects.values().get(pk=settings_pk) == before
    assert roles.client_for(roles.EDITOR).get(url).status_code == 200


def test_ghsa_3vrh_m9w7_v94f_drafts_never_leave_through_an_api_or_a_listing(editor, client):
    """GHSA-3vrh-m9w7-v94f: draft content reachable through an API. Masthead mounts no public
    content API; feeds, JSON Feed, search and sitemaps show the published version only, and the
    admin's own API gives titles, not drafts' text."""
    live = f.article("Published headline", dek="Published dek.",
                     body=f.paragraphs(2, prefix="Published"))
    live.title = "Secret draft headline"
    live.dek = "Secret draft dek."
    live.save_revision()
    never = f.article("Unpublished scoop", publish=False, dek="Scoop dek.",
                      body=f.paragraphs(2, prefix="Scoopbody"))
    for url in ("/api/", "/api/v2/pages/", f"/api/v2/pages/{never.pk}/",
                "/api/v2/pages/?type=editorial.ArticlePage&fields=*"):
        assert client.get(url).status_code == 404, url
    secrets = (b"Secret draft", b"Unpublished scoop", b"Scoopbody", b"Scoop dek")
    for url in ("/feeds/rss.xml", "/feeds/atom.xml", "/feeds/feed.json", "/feeds/full/rss.xml",
                "/feeds/full/feed.json", "/feeds/section/europe/feed.json", "/sitemap.xml",
                "/sitemaps/articles-1.xml", "/sitemaps/news.xml", "/sitemaps/pages.xml",
                "/search/?q=secret", "/search/?q=scoop", "/search/?q=scoopbody", "/articles/",
                f"/articles/{live.slug}/", f"/articles/{never.slug}/", "/"):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        for secret in secrets:
            assert secret not in response.content, (url, secret)
    feed = json.loads(client.get("/feeds/feed.json").content)
    assert [i["title"] for i in feed["items"]] == ["Published headline"]
    ElementTree.fromstring(client.get("/feeds/rss.xml").content)
    for url in (f"/admin/api/main/pages/{never.pk}/?fields=body,dek",
                "/admin/api/main/pages/?type=editorial.ArticlePage&fields=body,dek"):
        response = editor.get(url)
        assert response.status_code in (200, 400), url
        assert b"Scoopbody" not in response.content and b"Scoop dek" not in response.content
