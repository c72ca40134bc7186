"""Thin bridges from provider events to the subscriber services."""

from anymail.signals import inbound, tracking

from masthead.newsletter.services import inbound as inbound_mail
from masthead.newsletter.services import subscribers


def on_tracking_event(sender, event, esp_name, **kwargs):
    subscribers.subscriber_apply_tracking(event=event, esp_name=esp_name)


def on_inbound_message(sender, event, esp_name, **kwargs):
    if event.message is not None:
        inbound_mail.unsubscribe_by_message(event.message, source=f"mailto:{esp_name.lower()}"[:80])


def connect() -> None:
    tracking.connect(on_tracking_event, dispatch_uid="newsletter-tracking")
    inbound.connect(on_inbound_message, dispatch_uid="newsletter-inbound")
