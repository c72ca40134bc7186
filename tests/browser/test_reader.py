"""A reader on the front page and an article: related stories expand in place ("Keep reading")
with JavaScript, and are plain links to the story without it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests import factories as f

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def stories():
    """A lead story and two older ones in the same section, each long enough to expand."""
    older = f.article(
        "Grain corridors and the Black Sea insurers",
        section_slug="europe",
        body=f.paragraphs(5, "Grain"),
        published_at=f.BASE_TIME,
    )
    newer = f.article(
        "Why the Danube ports are suddenly busy",
        section_slug="europe",
        body=f.paragraphs(5, "Danube"),
        published_at=f.BASE_TIME + timedelta(days=1),
    )
    lead = f.article(
        "The quiet reinvention of European shipping",
        section_slug="europe",
        body=f.paragraphs(6, "Lead"),
        published_at=f.BASE_TIME + timedelta(days=2),
    )
    # Related stories are newest first: the first one shown is `newer`.
    return {"lead": lead, "first_related": newer, "second_related": older}


def related_story(page: Page, article):
    more_stories = page.get_by_role("region", name="More stories")
    expect(more_stories).to_be_visible()
    story = more_stories.locator("article.story").first
    expect(story).to_have_attribute("id", f"story-{article.pk}")
    return story


def test_keep_reading_expands_and_collapses_in_place(page, stories):
    lead, related = stories["lead"], stories["first_related"]
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto("/")
    page.get_by_role("region", name="Lead story").get_by_role(
        "link", name=lead.title, exact=True
    ).click()
    expect(page).to_have_url(re.compile(rf"/articles/{re.escape(lead.slug)}/$"))
    expect(page.locator("h1")).to_have_text(lead.title)

    story = related_story(page, related)
    expect(story.locator(".story__headline")).to_have_text(related.title)
    region = page.locator(f"#more-{related.pk}")
    button = story.locator("button.keep-reading")
    # The link has been replaced by a disclosure button controlling the hidden excerpt.
    expect(story.locator("a.keep-reading")).to_have_count(0)
    expect(button).to_have_count(1)
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_have_attribute("aria-controls", f"more-{related.pk}")
    expect(button).to_have_text(f"Keep reading: {related.title}")
    expect(region).to_be_hidden()
    expect(story.locator(".story__excerpt")).to_have_text("Danube 1 of the body text.")

    # Mouse: open, then close.
    button.click()
    expect(region).to_be_visible()
    expect(region).to_contain_text("Danube 2 of the body text.")
    expect(region).to_contain_text("Danube 4 of the body text.")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(button).to_have_text(f"Show less: {related.title}")

    button.click()
    expect(region).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_have_text(f"Keep reading: {related.title}")

    # Keyboard: Tab from the story's section link reaches the button; Enter opens, Space closes.
    story.locator(".story__section a").focus()
    page.keyboard.press("Tab")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(region).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(button).to_have_text(f"Show less: {related.title}")
    expect(button).to_be_focused()

    page.keyboard.press("Space")
    expect(region).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_have_text(f"Keep reading: {related.title}")
    expect(button).to_be_focused()

    # The reader stayed on the lead story throughout.
    expect(page).to_have_url(re.compile(rf"/articles/{re.escape(lead.slug)}/$"))
    assert errors == []


def test_keep_reading_is_a_link_without_javascript(page_no_js, stories):
    page = page_no_js
    lead, related = stories["lead"], stories["first_related"]

    page.goto("/")
    page.get_by_role("region", name="Lead story").get_by_role(
        "link", name=lead.title, exact=True
    ).click()
    expect(page.locator("h1")).to_have_text(lead.title)

    story = related_story(page, related)
    expect(story.locator("button.keep-reading")).to_have_count(0)
    link = story.locator("a.keep-reading")
    expect(link).to_have_attribute("href", f"/articles/{related.slug}/")
    expect(link).to_have_attribute("data-expands", f"more-{related.pk}")
    expect(link).to_have_text(f"Keep reading: {related.title}")
    expect(page.locator(f"#more-{related.pk}")).to_be_hidden()

    link.click()
    expect(page).to_have_url(re.compile(rf"/articles/{re.escape(related.slug)}/$"))
    expect(page.locator("h1")).to_have_text(related.title)
