"""A reader subscribes from the box beside an article, reads the confirmation email (a real SMTP
server), opens the link and presses Confirm; once with JavaScript and once without."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from masthead.newsletter.models import ConsentEvent, Subscriber
from masthead.newsletter.wording import CONSENT_WORDING
from tests import factories as f
from tests.smtp import Inbox, SMTPServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LINK = re.compile(r"https?://[^\s\"<>]+/newsletter/confirm/[^/\s\"<>]+/")


@pytest.fixture(scope="module")
def smtp():
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def inbox(smtp, settings, server_url) -> Inbox:
    """The live server runs in a thread of this process, so these overrides reach it."""
    settings.SITE_URL = server_url  # links in the email point at the live server
    return smtp.receive_email(settings)


@pytest.fixture
def story():
    return f.article("Why the Danube ports are suddenly busy", body=f.paragraphs(3, "Danube"))


def confirmation_link(inbox: Inbox, address: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = inbox.to(address)
        if messages:
            assert len(messages) == 1
            text = messages[0].message.get_body(("plain",)).get_content()
            return LINK.search(text).group(0)
        time.sleep(0.05)
    raise AssertionError(f"no confirmation email reached {address}")


def subscribe_and_confirm(page: Page, inbox: Inbox, story, address: str) -> None:
    page.goto(f"/articles/{story.slug}/")
    expect(page.locator("h1")).to_have_text(story.title)
    box = page.get_by_role("region", name="The weekly round-up")
    expect(box.get_by_text(CONSENT_WORDING)).to_be_visible()
    expect(box.locator("#nl-website")).to_be_hidden()  # the honeypot
    # The box is shared by every page; the browser's Referer says it sat on an article.
    box.get_by_label("Email address").fill(address)
    box.get_by_label("Name (optional)").fill("Ada Reader")
    box.get_by_role("button", name="Subscribe").click()

    expect(page).to_have_url(re.compile(r"/newsletter/thanks/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    link = confirmation_link(inbox, address)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your subscription")
    expect(page.get_by_text(address)).to_be_visible()
    # Opening the link confirmed nothing: only the button does.
    assert Subscriber.objects.get(email=address).status == Subscriber.Status.PENDING

    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are subscribed")
    subscriber = Subscriber.objects.get(email=address)
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.name == "Ada Reader"
    kinds = list(ConsentEvent.objects.filter(subscriber=subscriber).values_list("kind", "source"))
    assert kinds == [("signup", "article-box"), ("confirm", "confirm-page")]


def test_subscribe_from_an_article_and_confirm(page, inbox, story):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    subscribe_and_confirm(page, inbox, story, "reader.js@example.org")
    assert errors == []


def test_subscribe_and_confirm_without_javascript(page_no_js, inbox, story):
    subscribe_and_confirm(page_no_js, inbox, story, "reader.nojs@example.org")
