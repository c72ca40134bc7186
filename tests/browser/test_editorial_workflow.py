"""The newsroom through the real Wagtail admin: contributor submits, editor approves and publishes;
publishing without alt text is refused."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import Page, expect

from masthead.editorial.models import ArticlePage
from tests import factories as f

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def staff(username: str, group: str) -> tuple[User, str]:
    password = f"pw-{username}-Secret-42"
    user = User.objects.create_user(username, password=password, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user, password


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")


def footer_actions(page: Page):
    return page.get_by_role("navigation", name="Actions (footer)")


def open_more_actions(page: Page):
    """Open the drop-up next to the footer's primary button; returns the footer."""
    footer = footer_actions(page)
    footer.get_by_role("button", name="More actions").click()
    return footer


def reader_status(page: Page, path: str) -> int:
    response = page.goto(path)
    assert response is not None
    return response.status


def test_contributor_submits_and_editor_approves_and_publishes(new_page):
    contributor, contributor_pw = staff("carla", "Contributors")
    editor, editor_pw = staff("eddie", "Editors")
    draft = f.article(
        "Ports, pipelines and the new Baltic bargain",
        section_slug="europe",
        publish=False,
        owner=contributor,
        authors=[f.author("Carla Contributor")],
        body=f.paragraphs(4),
    )
    article_path = f"/articles/{draft.slug}/"
    reader = new_page()
    assert reader_status(reader, article_path) == 404

    # The contributor submits the draft for review; she cannot publish it herself.
    desk = new_page()
    log_in(desk, "carla", contributor_pw)
    desk.goto(f"/admin/pages/{draft.pk}/edit/")
    footer = open_more_actions(desk)
    submit = footer.locator("button[name='action-submit']")
    expect(submit).to_be_visible()
    expect(submit).to_have_text("Submit to Editorial review")
    expect(desk.locator("button[name='action-publish']")).to_have_count(0)
    expect(footer.get_by_role("button", name="Publish", exact=True)).to_have_count(0)
    submit.click()
    expect(
        desk.get_by_text(f"Page '{draft.title}' has been submitted for moderation.")
    ).to_be_visible()

    draft.refresh_from_db()
    assert draft.live is False
    assert draft.workflow_in_progress
    assert reader_status(reader, article_path) == 404

    # The editor approves it; the single review step publishes it.
    chief = new_page()
    log_in(chief, "eddie", editor_pw)
    chief.goto(f"/admin/pages/{draft.pk}/edit/")
    footer = open_more_actions(chief)
    approve = footer.get_by_role("button", name="Approve and Publish", exact=True)
    expect(approve).to_be_visible()
    approve.click()
    expect(chief.get_by_text(f"Page '{draft.title}' has been updated.")).to_be_visible()
    # Back in the explorer, the page's row says it is live.
    row = chief.get_by_role("row").filter(
        has=chief.get_by_role("link", name=draft.title, exact=True)
    )
    expect(row.get_by_role("link", name="Current page status: live")).to_be_visible()

    draft.refresh_from_db()
    assert draft.live is True

    # Readers see it on the front page, its section page and at its own address.
    reader.goto("/")
    expect(reader.get_by_role("link", name=draft.title, exact=True).first).to_be_visible()
    reader.goto("/section/europe/")
    expect(reader.get_by_role("link", name=draft.title, exact=True).first).to_be_visible()
    assert reader_status(reader, article_path) == 200
    expect(reader.locator("h1")).to_have_text(draft.title)


def test_publishing_without_alt_text_is_refused(new_page, in_flight):
    editor, editor_pw = staff("edna", "Editors")
    draft = f.article("A picture with no description", publish=False)
    # A draft may be saved without alt text (the admin saves drafts with clean=False);
    # the factory's add_child() runs full_clean(), so blank the field the way the admin would.
    draft.top_image_alt = ""
    draft.save(clean=False)
    draft.save_revision(clean=False)

    desk = new_page()
    log_in(desk, "edna", editor_pw)
    desk.goto(f"/admin/pages/{draft.pk}/edit/")
    alt_input = desk.get_by_label("Top image alt text")
    expect(alt_input).to_have_value("")
    footer = open_more_actions(desk)
    publish = footer.locator("button[name='action-publish']")
    expect(publish).to_be_visible()
    publish.click()

    expect(desk.get_by_text("The page could not be saved due to validation errors")).to_be_visible()
    alt_field = desk.locator("[data-field-wrapper]").filter(
        has=desk.get_by_label("Top image alt text")
    )
    expect(alt_field).to_contain_text("This field is required.")
    expect(desk.get_by_label("Top image alt text")).to_have_attribute("aria-invalid", "true")

    assert ArticlePage.objects.get(pk=draft.pk).live is False
    # The editor leaves the form: an open edit form pings its editing session in the background,
    # and on the tests' shared in-memory SQLite a write in flight makes a reader's query fail
    # with "table is locked" (seen once in CI) instead of waiting, as a real database would.
    desk.close()
    in_flight.wait_idle()
    reader = new_page()
    assert reader_status(reader, f"/articles/{draft.slug}/") == 404
