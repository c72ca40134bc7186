"""Thin bridges from provider events to the subscriber services."""

from anymail.signals import tracking

from masthead.newsletter.services import subscribers


def on_tracking_event(sender, event, esp_name, **kwargs):
    subscribers.subscriber_apply_tracking(event=event, esp_name=esp_name)


def connect() -> None:
    tracking.connect(on_tracking_event, dispatch_uid="newsletter-tracking")
