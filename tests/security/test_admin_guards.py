"""Malformed admin requests get a clear answer and change nothing; admin searches are capped
(masthead/security/admin_guards.py, issue 6)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.messages import get_messages
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page

from masthead.core.models import MastheadImage
from masthead.editorial.models import ArticleIndexPage
from masthead.security import admin_guards
from tests import factories as f
from tests import roles
from tests.permissions import sweep

pytestmark = pytest.mark.django_db

EMPTY = {"data": b"", "content_type": "application/x-www-form-urlencoded"}


def database() -> dict:
    """Row counts of every table (sessions aside) and the pages' titles, drafts and locks."""
    return {"counts": {m._meta.label: m._default_manager.count() for m in apps.get_models()
                       if m is not Session},
            "pages": sweep.page_states()}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def editor():
    return roles.client_for(roles.EDITOR)


@pytest.fixture
def story():
    return f.article("Harbour strike ends after talks", section_slug="europe")


# --- the page editor


def page_form_urls(page) -> dict[str, str]:
    index = ArticleIndexPage.objects.get()
    return {"add": f"/admin/pages/add/editorial/articlepage/{index.pk}/",
            "edit": f"/admin/pages/{page.pk}/edit/",
            "revert": f"/admin/pages/{page.pk}/revisions/{page.latest_revision_id}/revert/"}


def without(data: dict, *names: str) -> dict:
    return {k: v for k, v in data.items() if k not in names}


@pytest.mark.parametrize("screen", ["add", "edit", "revert"])
def test_an_incomplete_page_form_is_a_400_with_a_clear_message_and_saves_nothing(
        editor, story, screen):
    url = page_form_urls(story)[screen]
    complete = roles.article_form(story, title="Should not be saved", slug="not-saved")
    before = database()
    for data in ({}, without(complete, "body-count"), without(complete, "body-0-type"),
                 {**complete, "body-count": "many"}):
        response = editor.post(url, data)
        assert response.status_code == 400, (screen, sorted(data)[:3])
        assert response.content.decode() == admin_guards.INCOMPLETE
    assert database() == before


def test_an_incomplete_page_form_from_the_editors_script_gets_a_json_400(editor, story):
    response = editor.post(f"/admin/pages/{story.pk}/edit/", {"title": "Autosaved"},
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json() == {"success": False, "error_code": "bad_request",
                               "error_message": admin_guards.INCOMPLETE}
    assert story.revisions.count() == 1


def test_a_complete_page_form_is_still_saved(editor, story):
    response = editor.post(f"/admin/pages/{story.pk}/edit/",
                           roles.article_form(story, title="Harbour strike: the deal"))
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.get_latest_revision_as_object().title == "Harbour strike: the deal"


def test_a_page_the_user_may_not_edit_is_still_refused_before_its_form_is_read(story):
    contributor = roles.client_for(roles.CONTRIBUTOR)
    response = contributor.post(f"/admin/pages/{story.pk}/edit/", **EMPTY)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    anonymous = roles.client_for(roles.ANONYMOUS)
    assert anonymous.post(f"/admin/pages/{story.pk}/edit/")["Location"].startswith(
        "/admin/login/")


@pytest.mark.parametrize("parent", [None, "", "abc", "999999"])
def test_copying_a_page_without_an_existing_destination_is_a_400(editor, story, parent):
    data = {"new_title": "Copy", "new_slug": "copy"}
    if parent is not None:
        data["new_parent_page"] = parent
    before = database()
    response = editor.post(f"/admin/pages/{story.pk}/copy/", data)
    assert response.status_code == 400
    assert response.content.decode() == admin_guards.NO_DESTINATION
    assert database() == before


def test_copying_a_page_to_an_existing_destination_still_works(editor, story):
    index = ArticleIndexPage.objects.get()
    response = editor.post(f"/admin/pages/{story.pk}/copy/", {
        "new_title": "Harbour strike (copy)", "new_slug": "harbour-copy",
        "new_parent_page": str(index.pk)})
    assert response.status_code == 302
    assert Page.objects.filter(slug="harbour-copy").exists()


# --- choosers


def test_the_external_link_chooser_without_its_url_field_is_a_400(editor):
    url = reverse("wagtailadmin_choose_page_external_link")
    response = editor.post(url, **EMPTY)
    assert response.status_code == 400
    assert response.content.decode() == admin_guards.INCOMPLETE
    answered = editor.post(url, {"external-link-chooser-url": "https://example.org/a"})
    assert answered.status_code == 200 and b"external_link_chosen" in answered.content
    assert roles.client_for(roles.ANONYMOUS).post(url)["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("model", ["briefs/brief", "editorial/author"])
def test_a_snippet_chooser_that_creates_nothing_answers_a_post_with_a_400(editor, model):
    before = database()
    response = editor.post(f"/admin/snippets/choose/{model}/create/", {"name": "New"})
    assert response.status_code == 400
    assert response.content.decode() == admin_guards.NO_CHOOSER_FORM
    assert database() == before


def test_a_snippet_chooser_still_turns_away_who_may_not_create():
    contributor = roles.client_for(roles.CONTRIBUTOR)
    response = contributor.post("/admin/snippets/choose/editorial/author/create/", **EMPTY)
    assert response.status_code == 302 and response["Location"] == "/admin/"


# --- redirects import


def confirm_import(client) -> dict:
    """Upload a CSV of redirects; the confirmation form's data, as the browser would post it."""
    rows = b"from,to\n/old-a,https://example.org/a\n/old-b,https://example.org/b\n"
    upload = SimpleUploadedFile("redirects.csv", rows, content_type="text/csv")
    response = client.post(reverse("wagtailredirects:start_import"),
                           {"import_file": upload, "input_format": "0"})
    assert response.status_code == 200, response.content[:500]
    form = response.context["form"]
    return {**{name: form.initial[name] for name in ("import_file_name", "input_format")},
            "from_index": "0", "to_index": "1", "permanent": "on", "site": ""}


def test_a_redirect_import_without_its_file_data_goes_back_to_the_upload_with_a_message():
    admin = roles.client_for(roles.ADMINISTRATOR)
    before = database()
    response = admin.post(reverse("wagtailredirects:process_import"), **EMPTY)
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailredirects:start_import")
    assert messages_of(response) == [admin_guards.IMPORT_EXPIRED]
    assert database() == before


def test_a_redirect_import_confirmed_twice_imports_once_and_then_says_so():
    admin = roles.client_for(roles.ADMINISTRATOR)
    data = confirm_import(admin)
    first = admin.post(reverse("wagtailredirects:process_import"), data)
    assert first.status_code in (200, 302)
    assert sorted(Redirect.objects.values_list("old_path", flat=True)) == ["/old-a", "/old-b"]
    again = admin.post(reverse("wagtailredirects:process_import"), data)
    assert again.status_code == 302
    assert again["Location"] == reverse("wagtailredirects:start_import")
    assert admin_guards.IMPORT_EXPIRED in messages_of(again)
    assert Redirect.objects.count() == 2


def test_the_redirect_import_guard_leaves_refusals_to_wagtail():
    editor = roles.client_for(roles.EDITOR)
    response = editor.post(reverse("wagtailredirects:process_import"), **EMPTY)
    assert response.status_code == 302 and response["Location"] == "/admin/"


# --- images in use


def test_deleting_a_top_image_from_the_upload_screen_says_where_it_is_used(editor):
    image = f.image("Harbour at dawn")
    f.article("Harbour strike ends", top_image=image)
    f.article("Harbour reopens", top_image=image, publish=False)
    before = database()
    response = editor.post(reverse("wagtailimages:delete_multiple", args=[image.pk]),
                           HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    message = "This image is used as the top image of 2 articles and cannot be deleted."
    assert response.status_code == 400
    assert response.json() == {"success": False, "error_code": "in_use",
                               "error_message": message}
    assert messages_of(response) == [message]
    assert database() == before


def test_an_unused_image_is_still_deleted_from_the_upload_screen(editor):
    image = f.image("Unused")
    response = editor.post(reverse("wagtailimages:delete_multiple", args=[image.pk]))
    assert response.status_code == 200 and response.json()["success"] is True
    assert not MastheadImage.objects.filter(pk=image.pk).exists()


def test_the_in_use_message_counts_one_article_in_the_singular(story):
    assert admin_guards.in_use_message(MastheadImage, [story.specific]) == (
        "This image is used as the top image of 1 article and cannot be deleted.")


# --- searches


def test_a_long_search_is_cut_to_its_first_words_and_characters():
    cap = admin_guards.MAX_SEARCH_WORDS
    assert admin_guards.shortened_search("budget vote") == "budget vote"
    assert admin_guards.shortened_search("word " * 3000) == " ".join(["word"] * cap)
    long_words = " ".join(["x" * 40] * 20)  # 20 words, 819 characters
    short = admin_guards.shortened_search(long_words)
    assert len(short) <= admin_guards.MAX_SEARCH_CHARS and short.split() == ["x" * 40] * 12
    assert admin_guards.shortened_search("y" * 900) == "y" * admin_guards.MAX_SEARCH_CHARS


def test_a_very_long_page_search_still_finds_the_page_by_its_first_words(editor, story):
    f.article("Budget vote delayed", section_slug="africa")
    response = editor.get("/admin/pages/search/", {"q": "harbour strike " + "talks " * 3000})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Harbour strike ends after talks" in content
    assert "Budget vote delayed" not in content
    assert admin_guards.SEARCH_SHORTENED in content
    assert response.wsgi_request.GET["q"].split() == (
        ["harbour", "strike"] + ["talks"] * (admin_guards.MAX_SEARCH_WORDS - 2))


def test_a_normal_search_is_left_alone(editor, story):
    response = editor.get("/admin/pages/search/", {"q": "harbour strike"})
    assert response.status_code == 200
    assert "Harbour strike ends after talks" in response.content.decode()
    assert response.wsgi_request.GET["q"] == "harbour strike"
    assert not messages_of(response)


@pytest.mark.parametrize("url, parameter", [
    ("/admin/pages/search/results/", "q"), ("/admin/images/", "q"), ("/admin/documents/", "q"),
    ("/admin/snippets/briefs/brief/", "q"), ("/admin/snippets/editorial/author/", "q"),
    ("/admin/users/", "q"), ("/admin/choose-page/search/", "q"), ("/admin/images/chooser/", "q"),
    ("/admin/api/main/pages/", "search"),
])
def test_every_admin_search_is_capped(url, parameter, story):
    admin = roles.client_for(roles.ADMINISTRATOR)
    response = admin.get(url, {parameter: "harbour " * 3000},
                         HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == 200, url
    assert len(response.wsgi_request.GET[parameter].split()) == admin_guards.MAX_SEARCH_WORDS
    assert not messages_of(response)  # no notice left for a later page by a partial answer
