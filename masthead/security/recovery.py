"""One-time recovery codes: a way into the admin when the authenticator app is out of reach.

Ten codes are made when a user turns two-factor authentication on, and again whenever they ask
for a new set from their two-factor page (which makes the old set useless). They are shown once
and stored only as salted hashes, so the database (or a backup of it) does not hold usable codes.
Each code works once, at the sign-in step that otherwise asks for the app's code.

Codes are random (12 characters from 31: about 59 bits), so a fast salted hash is enough: the
slow password hashers exist for guessable secrets, and would make checking ten codes take
seconds. Wrong codes count against the same django-otp throttle as wrong app codes (the user's
TOTP device), so switching between the two steps does not buy an attacker more guesses.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, get_random_string, salted_hmac
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from masthead.security.models import RecoveryCode

log = logging.getLogger(__name__)

CODE_COUNT = 10
CODE_LENGTH = 12
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to copy from paper
_KEY_SALT = "masthead.security.recovery-code"


def normalise(code: str) -> str:
    """What the user typed, without spaces, dashes or capitals."""
    return "".join(ch for ch in code.lower() if ch.isalnum())


def code_hash(code: str, *, salt: str | None = None) -> str:
    """`sha256$salt$hex` of a normalised code, with a fresh random salt unless one is given."""
    salt = salt or get_random_string(16)
    digest = salted_hmac(_KEY_SALT, code, secret=salt, algorithm="sha256").hexdigest()
    return f"sha256${salt}${digest}"


def _matches(stored: str, code: str) -> bool:
    _, salt, _ = stored.split("$", 2)
    return constant_time_compare(stored, code_hash(code, salt=salt))


def _shown(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def codes_issue(*, user) -> list[str]:
    """A new set of codes for `user`, replacing any old set. The codes are returned to be
    shown this once (grouped as `abcd-efgh-jkmn`); only their hashes are kept."""
    codes = [get_random_string(CODE_LENGTH, ALPHABET) for _ in range(CODE_COUNT)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, code_hash=code_hash(code)) for code in codes)
    return [_shown(code) for code in codes]


def codes_left(user) -> int:
    """How many of the user's recovery codes are still unused."""
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def code_use(*, request, code: str) -> bool:
    """Accept one unused recovery code of the signed-in user instead of an app code: it is
    marked used and this session counts as verified. False if it is wrong, already used, or
    the user is waiting out the throttle after wrong codes."""
    user, typed = request.user, normalise(code)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None or not typed:
        return False
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            return False
        unused = RecoveryCode.objects.filter(user=user, used_at__isnull=True)
        match = next((row for row in unused if _matches(row.code_hash, typed)), None)
        if match is None:
            device.throttle_increment()
            log.warning("Wrong recovery code for %s", user.get_username())
            return False
        RecoveryCode.objects.filter(pk=match.pk).update(used_at=timezone.now())
        device.throttle_reset()
    otp_login(request, device)
    log.warning("%s signed in with a recovery code; %d left",
                user.get_username(), codes_left(user))
    return True
