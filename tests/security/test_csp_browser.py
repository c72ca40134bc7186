"""The Content-Security-Policy in real Chromium: reader pages and the Wagtail admin run their
scripts with no violation reported, and the admin's inline initialisers (choosers, inline
panels, date pickers) work, including those added to the page later (a new byline row).

Playwright runs in a thread of its own: its sync API allows one instance per thread, and when
this runs with tests/browser (`pytest -m browser`) their session-wide browser holds the main
thread's. The database is prepared here, in the main thread, before the browser starts.
"""

from __future__ import annotations

import threading

import pytest
from django.core.signals import request_finished, request_started
from playwright.sync_api import Page, expect, sync_playwright

from tests import factories as f
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MISSING_CHROMIUM,
    TIMEOUT_MS,
    InFlightRequests,
)

from .conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def watch_csp(page: Page) -> list[str]:
    """Collects Chromium's console reports of anything the policy refused."""
    refused: list[str] = []
    page.on("console", lambda msg: refused.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    return refused


@pytest.fixture
def in_browser(live_server):
    """Runs `scenario(new_page)` against the live server in Chromium, in its own thread."""
    if not CHROMIUM.exists():
        pytest.skip(MISSING_CHROMIUM)
    tracker = InFlightRequests()
    request_started.connect(tracker.started, weak=False, dispatch_uid="security-csp-started")
    request_finished.connect(tracker.finished, weak=False, dispatch_uid="security-csp-finished")

    def run(scenario) -> None:
        failure: list[BaseException] = []

        def thread_main():
            try:
                with sync_playwright() as pw:
                    browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                    expect.set_options(timeout=TIMEOUT_MS)

                    def new_page() -> Page:
                        context = browser.new_context(base_url=live_server.url)
                        context.set_default_timeout(TIMEOUT_MS)
                        return context.new_page()

                    try:
                        scenario(new_page)
                    finally:
                        browser.close()
            except BaseException as exc:  # re-raised in the test's thread
                failure.append(exc)

        thread = threading.Thread(target=thread_main, name="csp-browser")
        thread.start()
        thread.join(timeout=180)
        assert not thread.is_alive(), "the browser scenario did not finish"
        if failure:
            raise failure[0]

    yield run
    tracker.wait_idle()
    request_started.disconnect(dispatch_uid="security-csp-started")
    request_finished.disconnect(dispatch_uid="security-csp-finished")


def test_reader_pages_and_the_admin_run_under_the_policy(in_browser, superuser):
    """One test, not two: a second transactional browser test in a session that also ran
    plain database tests finds the database flushed (seen with tests/browser too; `make test`
    runs `-m browser` on its own)."""
    story = f.article("A story for the policy", body=f.paragraphs(6))
    f.article("Another story", body=f.paragraphs(6))
    in_browser(lambda new_page: scenario(new_page, story, superuser.username))


def scenario(new_page, story, username: str) -> None:
    reader = new_page()
    refused = watch_csp(reader)
    reader.goto("/")
    expect(reader.get_by_role("link", name=story.title, exact=True).first).to_be_visible()
    reader.goto(f"/articles/{story.slug}/")
    expect(reader.locator("h1")).to_have_text(story.title)
    # site.js (an external module) ran: "Keep reading" links became disclosure buttons.
    expect(reader.locator("button.keep-reading").first).to_be_visible()
    assert refused == []

    page = new_page()
    refused = watch_csp(page)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")

    page.goto(f"/admin/pages/{story.pk}/edit/")
    # A byline row added now runs the chooser initialiser kept in the panel's <template>:
    # it has the page's nonce, so the new row's chooser works.
    page.get_by_role("button", name="Add Author").click()
    new_row = page.locator("#id_authors-1-author-chooser")
    expect(new_row).to_be_attached()
    new_row.get_by_role("button", name="Choose author").click()
    expect(page.get_by_role("dialog").get_by_text("Choose author").first).to_be_visible()

    for path in ("/admin/", "/admin/images/multiple/add/", "/admin/users/",
                 "/admin/snippets/briefs/brief/add/"):
        page.goto(path)
        expect(page.locator("body.ready")).to_be_attached()  # Wagtail's JS started
    assert refused == []
