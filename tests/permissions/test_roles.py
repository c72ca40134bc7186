"""What each role may do with articles, subscribers and round-ups, asked through the admin.

Contributors write their own drafts and submit them; a section editor (the Europe desk) edits
and publishes Europe's articles only; editors publish everything (docs/editors.md).
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.models import Collection, Page

from masthead.core.models import MastheadImage
from masthead.editorial.models import ArticleIndexPage, ArticlePage, PublishedArticle
from masthead.newsletter.models import Delivery, Issue, Subscriber
from tests import factories as f
from tests import roles

pytestmark = pytest.mark.django_db


def denied(response) -> bool:
    """A logged-in user was turned away: 403, or Wagtail's redirect to the dashboard."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] in ("/admin/", "/admin"))


def _png() -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (40, 30), (10, 20, 30)).save(buf, "PNG")
    return buf.getvalue()


def edit(client, page, **overrides):
    return client.post(f"/admin/pages/{page.pk}/edit/", roles.article_form(page, **overrides))


def publish(client, page, **overrides):
    return edit(client, page, **{"action-publish": "action-publish", **overrides})


def is_published(page) -> bool:
    page.refresh_from_db()
    return page.live and PublishedArticle.objects.filter(page_id=page.pk).exists()


# --- contributors: own drafts only


def test_a_contributor_saves_their_own_draft_but_cannot_publish_it(client):
    contributor = roles.user_for(roles.CONTRIBUTOR)
    client.force_login(contributor)
    own = f.article(publish=False, owner=contributor)
    assert edit(client, own, title="Reworked headline").status_code == 302
    own.refresh_from_db()
    assert own.get_latest_revision_as_object().title == "Reworked headline"
    response = publish(client, own)
    assert response.status_code in (302, 403)
    assert not is_published(own)


def test_a_contributor_uploads_a_top_image_and_chooses_an_existing_one(client):
    """docs/editors.md: contributors upload images. Wagtail reads image permissions per
    collection, so the group's model permissions alone let them do neither."""
    client.force_login(roles.user_for(roles.CONTRIBUTOR))
    upload = SimpleUploadedFile("harbour.png", _png(), content_type="image/png")
    response = client.post("/admin/images/add/", {"title": "Harbour", "file": upload,
                                                  "collection": Collection.get_first_root_node().pk,
                                                  "credit": "Photo: Desk"})
    assert response.status_code == 302, response.content[:500]
    assert MastheadImage.objects.filter(title="Harbour").exists()
    existing = f.image("Agency photo")
    assert client.get("/admin/images/chooser/").status_code == 200
    chosen = client.get(f"/admin/images/chooser/chosen/{existing.pk}/")
    assert chosen.status_code == 200 and b"Agency photo" in chosen.content


def test_a_contributor_cannot_open_or_change_someone_elses_page(client):
    client.force_login(roles.user_for(roles.CONTRIBUTOR))
    others = f.article(publish=False, owner=roles.user_for(roles.CONTRIBUTOR, "other"))
    revisions = others.revisions.count()
    for url in (f"/admin/pages/{others.pk}/edit/", f"/admin/pages/{others.pk}/view_draft/",
                f"/admin/pages/{others.pk}/delete/", f"/admin/pages/{others.pk}/history/"):
        assert denied(client.get(url)), url
    assert denied(edit(client, others, title="Defaced"))
    assert denied(client.post(f"/admin/pages/{others.pk}/delete/"))
    assert others.revisions.count() == revisions
    assert ArticlePage.objects.filter(pk=others.pk, title=others.title).exists()


def test_a_contributor_cannot_unpublish_or_bulk_publish(client):
    client.force_login(roles.user_for(roles.CONTRIBUTOR))
    live = f.article()
    draft = f.article(publish=False)
    assert denied(client.post(f"/admin/pages/{live.pk}/unpublish/"))
    response = client.post(f"/admin/bulk/wagtailcore/page/publish/?id={draft.pk}")
    assert response.status_code in (302, 403)
    assert is_published(live) and not is_published(draft)


def test_a_contributor_sees_no_subscriber_and_sends_no_round_up(client, settings, tmp_path):
    settings.EMAIL_BACKEND = "masthead.core.outbox.OutboxBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")
    Subscriber.objects.create(email="reader@example.org", name="Private Reader",
                              status="confirmed")
    client.force_login(roles.user_for(roles.CONTRIBUTOR))
    subscriber = Subscriber.objects.get()
    now = timezone.now()
    issue = Issue.objects.create(subject="Round-up", period_start=now - timedelta(days=7),
                                 period_end=now)
    for url in ("/admin/newsletter/subscribers/", "/admin/newsletter/subscribers/?export=csv",
                "/admin/newsletter/subscribers/results/",
                f"/admin/newsletter/subscribers/history/{subscriber.pk}/",
                "/admin/newsletter/subscribers/growth/", "/admin/newsletter/outbox/",
                f"/admin/newsletter/round-ups/preview/{issue.pk}/"):
        response = client.get(url)
        assert denied(response), url
        assert b"reader@example.org" not in response.content
    for action in ("send", "test", "schedule"):
        assert denied(client.post(f"/admin/newsletter/round-ups/action/{issue.pk}/",
                                  {"action": action, "when": "2999-01-01T10:00"}))
    assert denied(client.post(f"/admin/newsletter/subscribers/unsubscribe/{subscriber.pk}/"))
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT and issue.test_sent_at is None
    assert not Delivery.objects.exists()
    assert Subscriber.objects.get().status == "confirmed"


# --- section editors: the Europe desk


@pytest.fixture
def desk(client):
    client.force_login(roles.user_for(roles.SECTION_EDITOR))
    return client


def test_a_section_editor_edits_and_publishes_their_sections_articles(desk):
    europe = f.article(publish=False, section_slug="europe")
    response = publish(desk, europe, title="Published by the desk")
    assert response.status_code == 302, response.content[:2000]
    assert is_published(europe)
    live = f.article(section_slug="europe")
    assert desk.post(f"/admin/pages/{live.pk}/unpublish/").status_code == 302
    live.refresh_from_db()
    assert not live.live


def test_a_section_editor_cannot_touch_another_sections_articles(desk):
    africa = f.article(publish=False, section_slug="africa")
    live_africa = f.article(section_slug="africa")
    assert denied(desk.get(f"/admin/pages/{africa.pk}/edit/"))
    assert denied(publish(desk, africa))
    assert denied(desk.post(f"/admin/pages/{live_africa.pk}/unpublish/"))
    assert denied(desk.post(f"/admin/pages/{live_africa.pk}/lock/"))
    desk.post(f"/admin/bulk/wagtailcore/page/publish/?id={africa.pk}")
    desk.post(f"/admin/bulk/wagtailcore/page/unpublish/?id={live_africa.pk}")
    desk.post(f"/admin/bulk/wagtailcore/page/delete/?id={africa.pk}")
    assert not is_published(africa) and is_published(live_africa)
    assert africa.revisions.count() == 1
    live_africa.refresh_from_db()
    assert live_africa.locked is False


def test_a_section_editor_cannot_move_a_story_to_another_section_and_publish_it(desk):
    europe = f.article(section_slug="europe")
    africa = f.section("africa")
    response = publish(desk, europe, section=africa.pk, title="Moved to Africa")
    assert response.status_code == 200
    assert "another desk" in response.content.decode()
    europe.refresh_from_db()
    assert europe.section_id == f.section("europe").pk and europe.title != "Moved to Africa"
    assert not PublishedArticle.objects.filter(page_id=europe.pk, headline="Moved to Africa")\
        .exists()


def test_a_section_editor_cannot_bulk_publish_an_editors_draft_that_moved_section(desk):
    """The newest draft decides too: a Europe story an editor moved to Africa is not theirs."""
    page = f.article(section_slug="europe")
    page.section = f.section("africa")
    page.title = "Now an Africa story"
    page.save_revision()
    desk.post(f"/admin/bulk/wagtailcore/page/publish/?id={page.pk}")
    assert denied(desk.get(f"/admin/pages/{page.pk}/edit/"))
    page.refresh_from_db()
    assert page.title != "Now an Africa story" and page.section.slug == "europe"


def test_a_section_editor_writes_new_drafts_only_in_their_sections(desk):
    index = ArticleIndexPage.objects.get()
    url = f"/admin/pages/add/editorial/articlepage/{index.pk}/"
    template = f.article(publish=False)
    for section, allowed in (("africa", False), ("europe", True)):
        data = roles.article_form(template, slug=f"desk-{section}", title=f"Desk {section}",
                                  section=f.section(section).pk)
        response = desk.post(url, data)
        assert (response.status_code == 302) is allowed, response.status_code
        assert ArticlePage.objects.filter(slug=f"desk-{section}").exists() is allowed
    assert not ArticlePage.objects.get(slug="desk-europe").live


def test_a_section_editor_cannot_edit_or_unpublish_the_articles_page(desk):
    index = ArticleIndexPage.objects.get()
    assert denied(desk.get(f"/admin/pages/{index.pk}/edit/"))
    assert denied(desk.post(f"/admin/pages/{index.pk}/unpublish/"))
    assert Page.objects.get(pk=index.pk).live


def test_an_editor_publishes_in_every_section(client):
    client.force_login(roles.user_for(roles.EDITOR))
    for slug in ("europe", "africa"):
        page = f.article(publish=False, section_slug=slug)
        assert publish(client, page).status_code == 302
        assert is_published(page)


def test_a_desk_may_cover_several_sections_named_or_by_slug():
    user = roles.user_for(roles.CONTRIBUTOR, "two-desk")
    user.groups.set([roles.desk_group("Europe, africa")])
    for slug, allowed in (("europe", True), ("africa", True), ("asia-pacific", False)):
        page = f.article(publish=False, section_slug=slug)
        perms = ArticlePage.objects.get(pk=page.pk).permissions_for_user(user)
        assert perms.can_edit() is allowed and perms.can_publish() is allowed, slug
