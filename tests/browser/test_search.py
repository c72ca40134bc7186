"""A reader searches from the header box, narrows the results with a filter, and opens one.

Publishing here commits for real (transactional tests), so each article is indexed by the task
enqueued on commit, as in production with the worker.
"""

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
    writer = f.author("Amara Okafor", slug="amara-okafor")
    europe = f.article("Lithium and the water question in Portugal", section_slug="europe",
                       authors=[writer], published_at=f.BASE_TIME)
    africa = f.article("Who profits from Zimbabwe's lithium boom", section_slug="africa",
                       dek="Mines, roads and the new refiners.",
                       published_at=f.BASE_TIME + timedelta(days=1))
    f.article("Grain corridors and insurers", section_slug="africa")
    return {"europe": europe, "africa": africa}


def results(page: Page):
    return page.locator("ol.search-results > li")


def filters(page: Page):
    return page.get_by_role("search", name="Search and filters")


def test_search_filter_and_open_a_result(page: Page, stories):
    page.goto("/")
    box = page.get_by_role("searchbox", name=re.compile("Search"))
    box.first.fill("lithium")
    box.first.press("Enter")

    expect(page).to_have_url(re.compile(r"/search/\?q=lithium$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    expect(page.locator(".search-summary")).to_contain_text("2 results for “lithium”")
    expect(results(page)).to_have_count(2)
    expect(results(page).first.locator("mark").first).to_have_text(re.compile("lithium", re.I))
    # The header box keeps the query, and so does the filter form.
    expect(page.locator("#site-search-q")).to_have_value("lithium")
    expect(page.locator("#search-q")).to_have_value("lithium")

    filters(page).get_by_label("Section").select_option(label="Africa")
    filters(page).get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"[?&]section=africa"))
    expect(results(page)).to_have_count(1)
    expect(filters(page).get_by_label("Section")).to_have_value("africa")

    africa = stories["africa"]
    results(page).get_by_role("link", name=africa.title).click()
    expect(page).to_have_url(re.compile(rf"/articles/{re.escape(africa.slug)}/$"))
    expect(page.locator("h1")).to_have_text(africa.title)


def test_filters_work_without_javascript(page_no_js: Page, stories):
    page = page_no_js
    page.goto("/search/?q=lithium")
    filters(page).get_by_label("Author").select_option(label="Amara Okafor")
    filters(page).get_by_label("Published to").fill("2026-11-01")
    filters(page).get_by_role("button", name="Search").click()
    expect(results(page)).to_have_count(1)
    expect(results(page).get_by_role("link", name=stories["europe"].title)).to_be_visible()


def test_unpublished_story_disappears_from_results(page: Page, stories):
    page.goto("/search/?q=lithium")
    expect(results(page)).to_have_count(2)
    stories["europe"].unpublish()
    page.reload()
    expect(results(page)).to_have_count(1)
    expect(page.get_by_text("Portugal")).to_have_count(0)
