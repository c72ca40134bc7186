"""Playwright (sync API) against pytest-django's live_server, in the system Chromium.

Every browser test runs against a real HTTP server thread, so it needs `transactional_db`
(live_server requests it). Test modules mark themselves

    pytestmark = [pytest.mark.browser,
                  pytest.mark.django_db(transaction=True, serialized_rollback=True)]

serialized_rollback because the flush after each transactional test would otherwise wipe what
the migrations created (sections, kinds, groups, the review workflow, the page tree, the Site).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

# Playwright's sync API runs an asyncio event loop in this thread; without this, Django refuses
# ORM calls made by the test itself ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
TIMEOUT_MS = 10_000

MISSING_CHROMIUM = (
    f"BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM}. Install Debian's `chromium` package; "
    "these tests never download a browser."
)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(MISSING_CHROMIUM)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        expect.set_options(timeout=TIMEOUT_MS)
        yield browser
        browser.close()


@pytest.fixture
def server_url(live_server) -> str:
    """live_server listens on localhost (ALLOWED_HOSTS=["*"] in the test settings)."""
    return live_server.url


def _new_page(browser, server_url, **options):
    context = browser.new_context(base_url=server_url, **options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context, context.new_page()


@pytest.fixture
def new_page(browser, server_url):
    """A factory for extra pages, each in its own fresh context (another user, say)."""
    contexts = []

    def make(**options):
        context, page = _new_page(browser, server_url, **options)
        contexts.append(context)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A reader's page with JavaScript on, in a fresh context."""
    return new_page()


@pytest.fixture
def page_no_js(new_page):
    """A reader's page with JavaScript off, in a fresh context."""
    return new_page(java_script_enabled=False)
