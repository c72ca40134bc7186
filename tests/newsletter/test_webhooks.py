"""Provider tracking events: anymail's signal and a real Postmark webhook POST."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from django.test import Client
from django.utils import timezone

from masthead.newsletter.models import ConsentEvent, Delivery, Issue, Subscriber

pytestmark = pytest.mark.django_db

SECRET = "hooks:s3cret-for-tests"
URL = "/newsletter/webhooks/anymail/postmark/tracking/"


@pytest.fixture
def subscriber():
    return Subscriber.objects.create(email="reader@example.org", status="confirmed",
                                     confirmed_at=timezone.now())


@pytest.fixture
def secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}


def send_event(event_type, recipient="reader@example.org", **fields):
    event = AnymailTrackingEvent(event_type=event_type, recipient=recipient,
                                 timestamp=timezone.now(), event_id="evt-1",
                                 message_id="msg-1", **fields)
    tracking.send(sender=PostmarkTrackingWebhookView, event=event, esp_name="Postmark")


def status_of(subscriber) -> str:
    subscriber.refresh_from_db()
    return subscriber.status


def test_hard_bounce_suppresses_and_logs(subscriber):
    send_event("bounced", reject_reason="bounced", mta_response="550 5.1.1 No such user")
    assert status_of(subscriber) == "bounced"
    event = subscriber.events.get()
    assert (event.kind, event.source) == ("bounce", "webhook:postmark")
    assert event.detail["mta_response"] == "550 5.1.1 No such user"
    assert event.detail["previous_status"] == "confirmed"


def test_complaint_suppresses_and_logs(subscriber):
    send_event("complained", reject_reason="spam")
    assert status_of(subscriber) == "complained"
    assert subscriber.events.get().kind == "complaint"


@pytest.mark.parametrize("reason,status", [
    ("invalid", "bounced"), ("bounced", "bounced"), ("timed_out", "bounced"),
    ("spam", "complained"), ("unsubscribed", "unsubscribed"),
    ("blocked", "confirmed"), ("other", "confirmed"), (None, "confirmed"),
])
def test_rejected_sends_count_only_for_reasons_about_the_address(subscriber, reason, status):
    send_event("rejected", reject_reason=reason)
    assert status_of(subscriber) == status


@pytest.mark.parametrize("event_type", ["deferred", "delivered", "opened", "clicked", "queued",
                                        "sent", "unknown"])
def test_other_events_change_nothing(subscriber, event_type):
    send_event(event_type)
    assert status_of(subscriber) == "confirmed"
    assert ConsentEvent.objects.count() == 0


def test_provider_unsubscribe_unsubscribes(subscriber):
    send_event("unsubscribed")
    assert status_of(subscriber) == "unsubscribed"
    assert subscriber.events.get().source == "webhook:postmark"


def test_unknown_recipient_or_none_is_ignored(subscriber):
    send_event("bounced", recipient="stranger@example.org")
    send_event("bounced", recipient=None)
    assert status_of(subscriber) == "confirmed"
    assert Subscriber.objects.count() == 1


def test_bounce_skips_the_pending_deliveries_of_a_running_send(subscriber):
    now = timezone.now()
    issue = Issue.objects.create(subject="Now", period_start=now - timedelta(days=7),
                                 period_end=now, status=Issue.Status.SENDING)
    delivery = Delivery.objects.create(issue=issue, subscriber=subscriber, email=subscriber.email)
    send_event("bounced")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SKIPPED


# --- Through the real webhook URL -------------------------------------------------------------

# Postmark's documented bounce and spam complaint webhook payloads.
POSTMARK_BOUNCE = {
    "RecordType": "Bounce", "MessageStream": "outbound", "ID": 4323372036854775807,
    "Type": "HardBounce", "TypeCode": 1, "Name": "Hard bounce", "Tag": "round-up",
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483", "Metadata": {}, "ServerID": 23,
    "Description": "The server was unable to deliver your message (ex: unknown user, "
                   "mailbox not found).",
    "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
    "Email": "Reader@Example.org", "From": "newsletter@example.com",
    "BouncedAt": "2026-11-20T16:33:54.9070259Z", "DumpAvailable": True, "Inactive": True,
    "CanActivate": True, "Subject": "The weekly round-up", "Content": "",
}
POSTMARK_COMPLAINT = {
    **POSTMARK_BOUNCE, "RecordType": "SpamComplaint", "ID": 42, "Type": "SpamComplaint",
    "TypeCode": 512, "Name": "Spam complaint", "Details": "Test spam complaint details",
    "CanActivate": False,
}


def post(payload, auth=SECRET):
    headers = {}
    if auth:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(auth.encode()).decode()
    return Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1").post(
        URL, json.dumps(payload), content_type="application/json", **headers)


def test_postmark_bounce_webhook(subscriber, secret):
    response = post(POSTMARK_BOUNCE)
    assert response.status_code == 200
    assert status_of(subscriber) == "bounced"
    event = subscriber.events.get()
    assert event.source == "webhook:postmark"
    assert event.detail["event_id"] == "4323372036854775807"
    assert "does not exist" in event.detail["mta_response"]


def test_postmark_complaint_webhook(subscriber, secret):
    assert post(POSTMARK_COMPLAINT).status_code == 200
    assert status_of(subscriber) == "complained"


@pytest.mark.parametrize("auth", [None, "hooks:wrong", "intruder:s3cret-for-tests"])
def test_webhook_refuses_wrong_credentials(subscriber, secret, auth):
    assert post(POSTMARK_BOUNCE, auth=auth).status_code in (400, 401, 403)
    assert status_of(subscriber) == "confirmed"
    assert ConsentEvent.objects.count() == 0


def test_webhooks_are_off_without_a_secret(subscriber, settings):
    settings.ANYMAIL = {}
    assert post(POSTMARK_BOUNCE, auth=None).status_code == 404
    assert post(POSTMARK_BOUNCE).status_code == 404
    assert status_of(subscriber) == "confirmed"


def test_only_tracking_and_inbound_webhooks_are_mounted(secret, settings):
    """Inbound mail is mounted for unsubscribe requests (test_inbound.py), behind the secret."""
    assert post(POSTMARK_BOUNCE).status_code == 200
    inbound = Client(HTTP_HOST="127.0.0.1").post(
        "/newsletter/webhooks/anymail/postmark/inbound/", "{}", content_type="application/json")
    assert inbound.status_code in (400, 401, 403)  # mounted, but without credentials: refused
    settings.ANYMAIL = {}
    assert Client(HTTP_HOST="127.0.0.1").post(
        "/newsletter/webhooks/anymail/postmark/inbound/", "{}",
        content_type="application/json").status_code == 404
    from django.urls import NoReverseMatch, reverse

    with pytest.raises(NoReverseMatch):
        reverse("newsletter:anymail:postmark_tracking_webhook_nonexistent")
