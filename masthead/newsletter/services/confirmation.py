"""The double opt-in email: one message, plain text and HTML, with the expiring confirm link."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from masthead.core import versioning
from masthead.core.selectors import magazine
from masthead.newsletter import tokens
from masthead.newsletter.addresses import display_address
from masthead.newsletter.models import Subscriber


def confirmation_message(subscriber: Subscriber) -> EmailMultiAlternatives:
    """The confirmation email for a pending subscriber, ready to send."""
    name = magazine(versioning.current())["name"] or settings.WAGTAIL_SITE_NAME
    context = {
        "magazine_name": name,
        "name": subscriber.name,
        "email": subscriber.email,
        "confirm_url": tokens.confirm_url(subscriber),
        "valid_days": max(1, settings.NEWSLETTER_CONFIRM_MAX_AGE // 86400),
        "site_url": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject=f"Confirm your subscription to {name}",
        body=render_to_string("newsletter/email/confirm.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[display_address(subscriber.email, subscriber.name)],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(render_to_string("newsletter/email/confirm.html", context),
                               "text/html")
    return message


def confirmation_send(*, subscriber_id: int) -> bool:
    """Email the confirmation link if the subscriber is still pending; False if nothing to send.

    Runs outside any transaction (a task enqueued on commit). Run twice, it sends a second copy
    of a link that confirms once: harmless.
    """
    subscriber = Subscriber.objects.filter(
        pk=subscriber_id, status=Subscriber.Status.PENDING
    ).first()
    if subscriber is None:
        return False
    confirmation_message(subscriber).send()
    return True
