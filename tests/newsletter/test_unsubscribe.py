"""Unsubscribing: the page, RFC 8058 one-click, bounces and complaints, and a send in progress."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from masthead.newsletter import tokens
from masthead.newsletter.models import ConsentEvent, Delivery, Issue, Subscriber
from masthead.newsletter.services.subscribers import (
    subscriber_mark_bounced,
    subscriber_mark_complained,
    subscriber_unsubscribe,
)
from masthead.newsletter.wording import ONE_CLICK_WORDING, UNSUBSCRIBE_WORDING

# postgres (on the tests that need it): unsubscribing and suppressing lock the subscriber
# (SELECT … FOR UPDATE), skip pending deliveries and log the event with its JSON detail and IP
# in one transaction. Tokens, the page and the form are the same on both databases.
pytestmark = pytest.mark.django_db

UA = "Mozilla/5.0 (Unsubscribe test)"
ONE_CLICK = "List-Unsubscribe=One-Click"
FORM = "application/x-www-form-urlencoded"


def reader(ip: str = "203.0.113.20") -> Client:
    return Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1", REMOTE_ADDR=ip,
                  HTTP_USER_AGENT=UA)


def path_for(subscriber: Subscriber) -> str:
    return tokens.unsubscribe_url(subscriber.pk)[len(django_settings.SITE_URL):]


@pytest.fixture
def subscriber():
    s = Subscriber.objects.create(email="reader@example.org", status="confirmed",
                                  confirmed_at=timezone.now())
    ConsentEvent.objects.create(subscriber=s, kind="signup", wording="earlier words")
    ConsentEvent.objects.create(subscriber=s, kind="confirm", wording="earlier words")
    return s


def test_get_shows_a_button_and_changes_nothing(subscriber):
    response = reader().get(path_for(subscriber))
    body = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert '<form class="newsletter-form" method="post">' in body
    assert ">Unsubscribe</button>" in body
    assert "reader@example.org" in body and UNSUBSCRIBE_WORDING in body
    subscriber.refresh_from_db()
    assert subscriber.status == "confirmed"
    assert subscriber.events.count() == 2


@pytest.mark.postgres
def test_the_page_button_unsubscribes_and_keeps_the_history(subscriber):
    response = reader().post(path_for(subscriber), {"unsubscribe": "1"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "You are unsubscribed" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribed_at is not None
    kinds = list(subscriber.events.values_list("kind", flat=True))
    assert kinds == ["signup", "confirm", "unsubscribe"]
    event = subscriber.events.last()
    assert (event.source, event.wording) == ("unsubscribe-page", UNSUBSCRIBE_WORDING)
    assert (event.ip, event.user_agent) == ("203.0.113.20", UA)
    assert event.detail["previous_status"] == "confirmed"


@pytest.mark.postgres
def test_one_click_post_unsubscribes_at_once_in_plain_text(subscriber):
    # What a mail provider sends (RFC 8058): no cookie, no token, no redirect to follow.
    response = reader(ip="198.51.100.1").post(path_for(subscriber), ONE_CLICK, content_type=FORM)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["Cache-Control"] == "private, no-store"
    assert "Location" not in response
    assert not response.cookies
    assert b"unsubscribed" in response.content
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    event = subscriber.events.last()
    assert (event.kind, event.source, event.wording) == ("unsubscribe", "one-click",
                                                         ONE_CLICK_WORDING)
    assert event.ip == "198.51.100.1"


def test_one_click_also_accepts_multipart(subscriber):
    response = reader().post(path_for(subscriber), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_unsubscribing_twice_logs_once(subscriber):
    for _ in range(2):
        assert reader().post(path_for(subscriber), ONE_CLICK, content_type=FORM).status_code == 200
    assert subscriber.events.filter(kind="unsubscribe").count() == 1
    page = reader().get(path_for(subscriber)).content.decode()
    assert "does not receive the weekly round-up" in page


@pytest.mark.parametrize("token", ["garbage", "1", "1:tampered-signature"])
def test_a_bad_unsubscribe_token_is_refused(subscriber, token):
    url = f"/newsletter/unsubscribe/{token}/"
    page = reader().get(url)
    assert page.status_code == 400 and "This link is not valid" in page.content.decode()
    assert reader().post(url, {"unsubscribe": "1"}).status_code == 400
    one_click = reader().post(url, ONE_CLICK, content_type=FORM)
    assert one_click.status_code == 400 and one_click["Content-Type"].startswith("text/plain")
    subscriber.refresh_from_db()
    assert subscriber.status == "confirmed"


def test_a_token_for_another_subscriber_cannot_be_forged(subscriber):
    good = tokens.unsubscribe_token(subscriber.pk)
    other = Subscriber.objects.create(email="other@example.org", status="confirmed")
    forged = f"{other.pk}:{good.split(':', 1)[1]}"
    assert reader().post(f"/newsletter/unsubscribe/{forged}/", ONE_CLICK,
                         content_type=FORM).status_code == 400
    other.refresh_from_db()
    assert other.status == "confirmed"


# --- A send in progress -----------------------------------------------------------------------


@pytest.fixture
def issue():
    now = timezone.now()
    return Issue.objects.create(subject="This week", period_start=now - timedelta(days=7),
                                period_end=now, status=Issue.Status.SENDING)


def _deliveries(issue, subscriber):
    pending = Delivery.objects.create(issue=issue, subscriber=subscriber, email=subscriber.email)
    earlier = Issue.objects.create(subject="Last week", period_start=issue.period_start,
                                   period_end=issue.period_end, status=Issue.Status.SENT)
    sent = Delivery.objects.create(issue=earlier, subscriber=subscriber, email=subscriber.email,
                                   status=Delivery.Status.SENT)
    return pending, sent


@pytest.mark.postgres
def test_unsubscribing_skips_pending_deliveries(subscriber, issue):
    pending, sent = _deliveries(issue, subscriber)
    bystander = Subscriber.objects.create(email="stays@example.org", status="confirmed")
    theirs = Delivery.objects.create(issue=issue, subscriber=bystander, email=bystander.email)
    reader().post(path_for(subscriber), ONE_CLICK, content_type=FORM)
    pending.refresh_from_db(), sent.refresh_from_db(), theirs.refresh_from_db()
    assert pending.status == Delivery.Status.SKIPPED
    assert sent.status == Delivery.Status.SENT
    assert theirs.status == Delivery.Status.PENDING


@pytest.mark.postgres
def test_unsubscribe_is_one_transaction(subscriber, issue, monkeypatch):
    """If logging the event fails, neither the status nor the deliveries change."""
    pending, _ = _deliveries(issue, subscriber)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ConsentEvent.objects, "create", broken)
    with pytest.raises(RuntimeError):
        subscriber_unsubscribe(subscriber_id=subscriber.pk, source="test", ip=None,
                               user_agent="")
    subscriber.refresh_from_db(), pending.refresh_from_db()
    assert subscriber.status == "confirmed"
    assert pending.status == Delivery.Status.PENDING


@pytest.mark.postgres
@pytest.mark.parametrize("mark,status,kind", [
    (subscriber_mark_bounced, "bounced", "bounce"),
    (subscriber_mark_complained, "complained", "complaint"),
])
def test_bounces_and_complaints_suppress_and_skip_deliveries(subscriber, issue, mark, status,
                                                             kind):
    pending, sent = _deliveries(issue, subscriber)
    assert mark(email="READER@example.org", source="webhook:test", detail={"why": "test"})
    subscriber.refresh_from_db(), pending.refresh_from_db(), sent.refresh_from_db()
    assert subscriber.status == status
    assert pending.status == Delivery.Status.SKIPPED
    assert sent.status == Delivery.Status.SENT
    event = subscriber.events.last()
    assert (event.kind, event.source) == (kind, "webhook:test")
    assert event.detail == {"why": "test", "previous_status": "confirmed"}
    # The provider repeats itself: nothing more is logged.
    assert not mark(email="reader@example.org", source="webhook:test")
    assert subscriber.events.filter(kind=kind).count() == 1


@pytest.mark.postgres
def test_a_complaint_overrides_a_bounce_but_not_the_reverse(subscriber):
    assert subscriber_mark_bounced(email=subscriber.email, source="webhook:test")
    assert subscriber_mark_complained(email=subscriber.email, source="webhook:test")
    assert not subscriber_mark_bounced(email=subscriber.email, source="webhook:test")
    subscriber.refresh_from_db()
    assert subscriber.status == "complained"


def test_unknown_addresses_are_ignored():
    assert not subscriber_mark_bounced(email="nobody@example.org", source="webhook:test")
    assert not subscriber_mark_complained(email="nobody@example.org", source="webhook:test")
    assert Subscriber.objects.count() == 0

