"""Editors' rules in the Wagtail admin: required-on-publish fields, roles, scheduling."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Workflow
from wagtail.test.utils.form_data import inline_formset

from masthead.editorial.models import PublishedArticle
from tests import factories as f
from tests.adminforms import article_form

pytestmark = pytest.mark.django_db


def _form(page, **overrides):
    row = page.authors.first()
    fields = dict(
        title=page.title, slug=page.slug, dek=page.dek, kind=page.kind_id or "",
        section=page.section_id or "", author_row=row.pk, author=row.author_id,
        top_image=page.top_image_id or "", top_image_alt=page.top_image_alt,
        top_image_credit=page.top_image_credit, body_html="<p>Body text.</p>")
    return article_form(**{**fields, **overrides})


@pytest.fixture
def editor_client(client):
    user = User.objects.create_user("ed", "ed@example.org", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "field,label",
    [("top_image_alt", "top_image_alt"), ("top_image_credit", "top_image_credit"),
     ("dek", "dek"), ("kind", "kind"), ("section", "section"), ("top_image", "top_image")],
)
def test_publish_without_a_required_field_is_refused_naming_it(editor_client, field, label):
    page = f.article(publish=False)
    data = _form(page, **{field: ""}, **{"action-publish": "action-publish"})
    response = editor_client.post(f"/admin/pages/{page.pk}/edit/", data, HTTP_HOST="127.0.0.1")
    assert response.status_code == 200  # the form again, with errors
    errors = response.context["form"].errors
    assert label in errors, errors
    assert "This field is required." in errors[label]
    page.refresh_from_db()
    assert not page.live
    assert not PublishedArticle.objects.filter(page_id=page.pk).exists()


def test_publish_without_an_author_is_refused(editor_client):
    page = f.article(publish=False)
    row = page.authors.first()
    data = _form(page, authors=inline_formset([{"id": row.pk, "author": row.author_id, "DELETE": "1"}], initial=1),
                 **{"action-publish": "action-publish"})
    response = editor_client.post(f"/admin/pages/{page.pk}/edit/", data, HTTP_HOST="127.0.0.1")
    assert "Add at least one author before publishing." in response.content.decode()
    page.refresh_from_db()
    assert not page.live


def test_an_incomplete_draft_can_be_saved(editor_client):
    page = f.article(publish=False)
    data = _form(page, dek="", top_image_alt="", top_image_credit="", kind="")
    response = editor_client.post(f"/admin/pages/{page.pk}/edit/", data, HTTP_HOST="127.0.0.1")
    assert response.status_code == 302
    assert page.revisions.count() == 2


def test_a_complete_article_publishes_from_the_admin(editor_client):
    page = f.article(publish=False)
    data = _form(page, **{"action-publish": "action-publish"})
    response = editor_client.post(f"/admin/pages/{page.pk}/edit/", data, HTTP_HOST="127.0.0.1")
    assert response.status_code == 302
    assert PublishedArticle.objects.filter(page_id=page.pk).exists()


def test_contributors_cannot_publish_editors_can():
    contributor = User.objects.create_user("c", is_staff=True)
    contributor.groups.add(Group.objects.get(name="Contributors"))
    editor = User.objects.create_user("e", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    own = f.article(publish=False, owner=contributor)
    others = f.article(publish=False)
    assert own.permissions_for_user(contributor).can_edit()
    assert not own.permissions_for_user(contributor).can_publish()
    assert not others.permissions_for_user(contributor).can_edit()
    assert own.permissions_for_user(editor).can_publish()


def test_review_workflow_is_set_up_by_migration():
    page = f.article(publish=False)
    workflow = page.get_workflow()
    assert isinstance(workflow, Workflow) and workflow.name == "Editorial review"
    task = workflow.tasks.first().specific
    assert {g.name for g in task.groups.all()} >= {"Editors"}


def test_scheduled_publishing_fires_from_the_worker(client):
    page = f.article(publish=False)
    page.go_live_at = timezone.now() + timedelta(seconds=2)
    revision = page.save_revision()
    revision.publish()  # a go-live date in the future only schedules
    page.refresh_from_db()
    revision.refresh_from_db()
    assert revision.approved_go_live_at is not None
    assert not page.live and client.get(f"/articles/{page.slug}/").status_code == 404
    call_command("worker", once=True)  # not due yet
    page.refresh_from_db()
    assert not page.live
    time.sleep(max(0.0, (revision.approved_go_live_at - timezone.now()).total_seconds()) + 0.2)
    call_command("worker", once=True)
    page.refresh_from_db()
    assert page.live
    assert client.get(f"/articles/{page.slug}/").status_code == 200
