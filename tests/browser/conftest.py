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
import threading
import time
from pathlib import Path

import pytest
from django.core.signals import request_finished, request_started
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


class InFlightRequests:
    """Counts requests the live server is still handling.

    A page can have a request in flight when its test ends (the Wagtail editor pings its editing
    session and autosaves in the background). Closing the browser context does not stop the
    server thread handling it, and if that thread touches the database after pytest-django has
    flushed and blocked it, the next test inherits a half-written row or a thread error.
    Teardown therefore waits for the server to go idle.
    """

    def __init__(self):
        self._count = 0
        self._lock = threading.Lock()

    def started(self, **kwargs):
        with self._lock:
            self._count += 1

    def finished(self, **kwargs):
        with self._lock:
            self._count -= 1

    def wait_idle(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._count <= 0:
                    return
            time.sleep(0.02)
        raise AssertionError(f"the live server still had {self._count} request(s) in flight")


@pytest.fixture(scope="session")
def in_flight():
    tracker = InFlightRequests()
    request_started.connect(tracker.started, weak=False, dispatch_uid="browser-tests-started")
    request_finished.connect(tracker.finished, weak=False, dispatch_uid="browser-tests-finished")
    yield tracker
    request_started.disconnect(dispatch_uid="browser-tests-started")
    request_finished.disconnect(dispatch_uid="browser-tests-finished")


@pytest.fixture
def server_url(in_flight, live_server) -> str:
    """live_server listens on localhost (ALLOWED_HOSTS=["*"] in the test settings)."""
    return live_server.url


def _new_page(browser, server_url, **options):
    context = browser.new_context(base_url=server_url, **options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context, context.new_page()


@pytest.fixture
def new_page(browser, server_url, in_flight):
    """A factory for extra pages, each in its own fresh context (another user, say)."""
    contexts = []

    def make(**options):
        context, page = _new_page(browser, server_url, **options)
        contexts.append(context)
        return page

    yield make
    for context in contexts:
        context.close()
    in_flight.wait_idle()


@pytest.fixture
def page(new_page):
    """A reader's page with JavaScript on, in a fresh context."""
    return new_page()


@pytest.fixture
def page_no_js(new_page):
    """A reader's page with JavaScript off, in a fresh context."""
    return new_page(java_script_enabled=False)
