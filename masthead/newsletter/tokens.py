"""Signed links for confirming and unsubscribing. No login, no cookie, nothing stored."""

from __future__ import annotations

from django.conf import settings
from django.core import signing

CONFIRM_SALT = "masthead.newsletter.confirm"
UNSUBSCRIBE_SALT = "masthead.newsletter.unsubscribe"


def confirm_token(subscriber) -> str:
    """Expires after NEWSLETTER_CONFIRM_MAX_AGE; tied to the address it was sent to."""
    return signing.dumps([subscriber.pk, subscriber.email], salt=CONFIRM_SALT, compress=True)


def read_confirm_token(token: str) -> tuple[int, str] | None:
    try:
        pk, email = signing.loads(token, salt=CONFIRM_SALT,
                                  max_age=settings.NEWSLETTER_CONFIRM_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return int(pk), str(email)


def unsubscribe_token(subscriber_id: int) -> str:
    """Never expires: an unsubscribe link in a years-old email must still work."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(subscriber_id))


def read_unsubscribe_token(token: str) -> int | None:
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def confirm_url(subscriber) -> str:
    return f"{settings.SITE_URL}/newsletter/confirm/{confirm_token(subscriber)}/"


def unsubscribe_url(subscriber_id: int) -> str:
    return f"{settings.SITE_URL}/newsletter/unsubscribe/{unsubscribe_token(subscriber_id)}/"
