"""Newsletter → Round-ups in the Wagtail admin: who may do what, editing, preview, sending."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from masthead.newsletter.models import Delivery, Issue, IssueItem, Subscriber
from tests import factories as f
from tests.newsletter.test_admin_subscribers import menu_labels

pytestmark = pytest.mark.django_db

INDEX = "/admin/newsletter/round-ups/"


def user(username: str, group: str | None) -> User:
    u = User.objects.create_user(username, f"{username}@example.org", "pw",
                                 first_name=username.title(), is_staff=group is None,
                                 is_superuser=group is None)
    if group:
        u.groups.add(Group.objects.get(name=group))
    return u


@pytest.fixture
def editor(client):
    client.force_login(user("editor", "Editors"))
    return client


@pytest.fixture
def issue():
    now = timezone.now()
    issue = Issue.objects.create(subject="Friday's round-up", period_start=now - timedelta(days=7),
                                 period_end=now, introduction="Hello <everyone>.")
    for i, headline in enumerate(["First brief", "Second brief"]):
        IssueItem.objects.create(issue=issue, brief=f.brief(headline, published_at=now),
                                 sort_order=i)
    return issue


def test_editors_and_moderators_see_round_ups_contributors_do_not():
    assert "Round-ups" in menu_labels(user("ed", "Editors")).get("Newsletter", [])
    assert "Round-ups" in menu_labels(user("mod", "Moderators")).get("Newsletter", [])
    assert "Round-ups" not in menu_labels(user("con", "Contributors")).get("Newsletter", [])


def test_contributors_can_neither_open_nor_send(client, issue, mailbox):
    Subscriber.objects.create(email="r@example.org", status="confirmed")
    client.force_login(user("con", "Contributors"))
    for url in (INDEX, f"{INDEX}send/{issue.pk}/", f"{INDEX}preview/{issue.pk}/",
                f"{INDEX}progress/{issue.pk}/", f"{INDEX}edit/{issue.pk}/"):
        assert client.get(url).status_code in (302, 403), url
    response = client.post(f"{INDEX}action/{issue.pk}/", {"action": "send"})
    assert response.status_code in (302, 403)
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.DRAFT
    assert not Delivery.objects.exists() and not mailbox.messages


def test_an_editor_drafts_a_round_up(editor):
    f.brief("Fresh brief", published_at=timezone.now() - timedelta(hours=1))
    page = editor.get(f"{INDEX}new/")
    assert page.status_code == 200 and "Draft the round-up" in page.content.decode()
    response = editor.post(f"{INDEX}new/")
    issue = Issue.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{INDEX}edit/{issue.pk}/"
    assert [i.brief.headline for i in issue.items.all()] == ["Fresh brief"]


def test_editing_reorders_removes_and_adds_stories(editor, issue):
    first, second = IssueItem.objects.filter(issue=issue).order_by("sort_order")
    extra = f.brief("Added by hand")
    page = editor.get(f"{INDEX}edit/{issue.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="items-TOTAL_FORMS"' in html and 'name="introduction"' in html
    data = {
        "subject": "Edited subject", "preheader": "Read me", "introduction": "New intro",
        "items-TOTAL_FORMS": "3", "items-INITIAL_FORMS": "2", "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-id": str(first.pk), "items-0-ORDER": "2", "items-0-brief": str(first.brief_id),
        "items-0-article": "", "items-0-DELETE": "",
        "items-1-id": str(second.pk), "items-1-ORDER": "1", "items-1-brief": str(second.brief_id),
        "items-1-article": "", "items-1-DELETE": "1",
        "items-2-id": "", "items-2-ORDER": "0", "items-2-brief": str(extra.pk),
        "items-2-article": "", "items-2-DELETE": "",
    }
    response = editor.post(f"{INDEX}edit/{issue.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == f"{INDEX}send/{issue.pk}/"
    issue.refresh_from_db()
    assert (issue.subject, issue.preheader) == ("Edited subject", "Read me")
    assert [i.brief.headline for i in issue.items.order_by("sort_order")] == [
        "Added by hand", "First brief"]


def test_a_story_needs_an_article_or_a_brief(editor, issue):
    data = {"subject": "S", "preheader": "", "introduction": "",
            "items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "1000", "items-0-id": "", "items-0-ORDER": "0",
            "items-0-brief": "", "items-0-article": str(f.article().pk), "items-0-DELETE": ""}
    data["items-0-brief"] = str(f.brief().pk)
    response = editor.post(f"{INDEX}edit/{issue.pk}/", data)
    assert response.status_code == 200
    assert "Choose either an article or a brief" in response.content.decode()


def test_preview_in_html_and_text(editor, issue):
    html = editor.get(f"{INDEX}preview/{issue.pk}/")
    assert html.status_code == 200 and html["X-Frame-Options"] == "SAMEORIGIN"
    body = html.content.decode()
    assert "First brief" in body and "Hello Editor," in body and "@@MH:" not in body
    assert "Hello &lt;everyone&gt;." in body
    text = editor.get(f"{INDEX}preview/{issue.pk}/?format=text")
    assert text["Content-Type"].startswith("text/plain") and "Second brief" in text.content.decode()
    page = editor.get(f"{INDEX}send/{issue.pk}/").content.decode()
    assert f'<iframe src="{INDEX}preview/{issue.pk}/"' in page
    assert "Send a test to me (editor@example.org)" in page


def test_send_a_test_to_me(editor, issue, mailbox):
    response = editor.post(f"{INDEX}action/{issue.pk}/", {"action": "test"})
    assert response.status_code == 302
    assert [m.message["Subject"] for m in mailbox.to("editor@example.org")] == [
        "[Test] Friday's round-up"]
    assert Issue.objects.get(pk=issue.pk).test_sent_to == "editor@example.org"


def test_schedule_then_unschedule(editor, issue):
    when = timezone.localtime() + timedelta(days=1)
    editor.post(f"{INDEX}action/{issue.pk}/",
                {"action": "schedule", "when": when.strftime("%Y-%m-%dT%H:%M")})
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SCHEDULED
    assert abs((issue.scheduled_for - when).total_seconds()) < 60
    editor.post(f"{INDEX}action/{issue.pk}/", {"action": "schedule", "when": "2001-01-01T10:00"})
    assert Issue.objects.get(pk=issue.pk).scheduled_for == issue.scheduled_for  # past: refused
    editor.post(f"{INDEX}action/{issue.pk}/", {"action": "unschedule"})
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.DRAFT


def test_send_now_shows_progress_without_and_with_javascript(
        editor, issue, mailbox, django_capture_on_commit_callbacks):
    Subscriber.objects.bulk_create([Subscriber(email=f"r{i}@example.org", status="confirmed")
                                    for i in range(3)])
    Subscriber.objects.create(email="p@example.org", status="pending")
    assert "Send now to 3 confirmed subscribers" in editor.get(
        f"{INDEX}send/{issue.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        editor.post(f"{INDEX}action/{issue.pk}/", {"action": "send"})
    assert len(mailbox.messages) == 3
    page = editor.get(f"{INDEX}send/{issue.pk}/").content.decode()
    assert '<td data-progress-field="sent">3</td>' in page
    assert '<td data-progress-field="remaining">0</td>' in page
    assert "issue-progress.js" not in page  # finished: nothing to poll
    data = editor.get(f"{INDEX}progress/{issue.pk}/").json()
    assert {k: data[k] for k in ("status", "recipients", "sent", "failed", "skipped",
                                 "remaining")} == {
        "status": "sent", "recipients": 3, "sent": 3, "failed": 0, "skipped": 0, "remaining": 0}
    assert data["rate"] > 0
    # Once sending, the content is fixed: the edit screen sends editors to the progress page.
    assert editor.get(f"{INDEX}edit/{issue.pk}/")["Location"] == f"{INDEX}send/{issue.pk}/"


def test_pause_resume_cancel_buttons(editor, issue):
    Subscriber.objects.create(email="r@example.org", status="confirmed")
    from masthead.newsletter.services.issues import issue_start_sending

    issue_start_sending(issue_id=issue.pk, enqueue=False)
    page = editor.get(f"{INDEX}send/{issue.pk}/").content.decode()
    assert "issue-progress.js" in page and 'data-url="' in page and ">Pause</button>" in page
    editor.post(f"{INDEX}action/{issue.pk}/", {"action": "pause"})
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.PAUSED
    editor.post(f"{INDEX}action/{issue.pk}/", {"action": "cancel"})
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.CANCELLED


def test_send_controls_are_in_the_issue_history(editor, issue):
    """Schedule, unschedule, send, pause and cancel are logged with the editor who did it."""
    from wagtail.models import ModelLogEntry

    Subscriber.objects.create(email="r@example.org", status="confirmed")
    when = timezone.localtime() + timedelta(days=1)
    action = f"{INDEX}action/{issue.pk}/"
    editor.post(action, {"action": "schedule", "when": when.strftime("%Y-%m-%dT%H:%M")})
    editor.post(action, {"action": "schedule", "when": "2001-01-01T10:00"})  # refused: no entry
    editor.post(action, {"action": "unschedule"})
    editor.post(action, {"action": "send"})
    editor.post(action, {"action": "pause"})
    editor.post(action, {"action": "cancel"})
    entries = ModelLogEntry.objects.for_instance(issue).order_by("timestamp", "pk")
    assert [e.action for e in entries if e.action.startswith("newsletter.")] == [
        "newsletter.schedule", "newsletter.unschedule", "newsletter.send", "newsletter.pause",
        "newsletter.cancel"]
    assert {e.user.username for e in entries} == {"editor"}
    history = editor.get(f"{INDEX}history/{issue.pk}/").content.decode()
    assert "Started sending" in history and "Paused sending" in history
