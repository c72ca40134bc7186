"""Two-factor authentication (TOTP) for the Wagtail admin, with django-otp.

After the password, a user who has an authenticator app enrolled types its current code at
/admin/2fa/verify/; django-otp then marks the session as verified (`user.is_verified()`).
Administrators (superusers) must enrol one before they can use the admin when
REQUIRE_2FA_FOR_ADMINS is on: every admin page sends them to /admin/2fa/setup/ until they
have. Other staff may enrol (account menu → Two-factor authentication); once they have, they
are asked for a code at every sign-in too. Enrolling also makes one-time recovery codes
(`masthead.security.recovery`), accepted at the same step when the phone is out of reach.

The services here are what the views and the `reset_2fa` command call.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from masthead.security import recovery
from masthead.security.csp import admin_prefix
from masthead.security.models import RecoveryCode

DEVICE_NAME = "Authenticator app"


def has_device(user) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def must_enrol(user) -> bool:
    return bool(settings.REQUIRE_2FA_FOR_ADMINS and user.is_superuser)


def enrolment_device(*, user) -> TOTPDevice:
    """The unconfirmed device the setup page shows, the same one until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def device_confirm(*, request, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm `device` with a code from the app; it becomes the user's only device, this
    session counts as verified, and the user gets a new set of recovery codes, returned to be
    shown once. None if the code is wrong (or tried too often)."""
    if not device.verify_token(token.strip()):
        return None
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        codes = recovery.codes_issue(user=device.user)
    otp_login(request, device)
    return codes


def session_verify(*, request, token: str) -> bool:
    """Check a code against the user's devices; on success this session counts as verified."""
    for device in TOTPDevice.objects.devices_for_user(request.user, confirmed=True):
        if device.verify_token(token.strip()):
            otp_login(request, device)
            return True
    return False


def devices_reset(*, user) -> int:
    """Remove the user's devices and recovery codes (a lost phone): they enrol again, and get
    new codes, at their next sign-in. Returns how many devices were removed."""
    with transaction.atomic():
        deleted, _ = TOTPDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
    return deleted


def safe_next(request, default: str | None = None) -> str:
    """The `next` parameter if it points into this site, else the admin's dashboard."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default or reverse("wagtailadmin_home")


def _exempt_paths() -> tuple[str, ...]:
    return (
        reverse("wagtailadmin_login"),
        reverse("wagtailadmin_logout"),
        reverse("wagtailadmin_javascript_catalog"),
        f"{admin_prefix()}2fa/",
    )


class TwoFactorMiddleware:
    """Sends a signed-in admin user who still owes a second factor to verify (or set up) one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith(admin_prefix()) and not path.startswith(_exempt_paths()):
            step = pending_step(request.user)
            if step:
                url = reverse(f"security_2fa_{step}")
                return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


def pending_step(user) -> str | None:
    """"verify" or "setup" if `user` must give a second factor before using the admin."""
    if not user.is_authenticated or user.is_verified():
        return None
    if has_device(user):
        return "verify"
    if must_enrol(user):
        return "setup"
    return None
