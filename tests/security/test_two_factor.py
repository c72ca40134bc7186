"""Two-factor authentication for the admin: administrators must enrol an authenticator app and
give its code after their password; other staff may; wrong codes get nobody in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from .conftest import code, enrol, log_in

pytestmark = pytest.mark.django_db

SETUP = "/admin/2fa/setup/"
VERIFY = "/admin/2fa/verify/"


@pytest.fixture(autouse=True)
def required(settings):
    settings.REQUIRE_2FA_FOR_ADMINS = True


def wait_out_the_throttle(device) -> None:
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=5))


def signed_in(client, user) -> None:
    assert log_in(client, user.username).status_code == 302


def test_an_administrator_cannot_use_the_admin_before_enrolling(client, superuser):
    signed_in(client, superuser)
    for path in ("/admin/", "/admin/pages/", "/admin/users/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"{SETUP}?next={path.replace('/', '%2F')}"
    page = client.get(SETUP)
    assert page.status_code == 200
    assert "Cache-Control" in page and "no-store" in page["Cache-Control"]
    html = page.content.decode()
    assert "<svg" in html and "Or type this key" in html  # the QR code, drawn here


def test_enrolling_with_a_wrong_code_does_not_let_them_in(client, superuser):
    signed_in(client, superuser)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=superuser)
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"
    response = client.post(SETUP, {"code": wrong, "next": "/admin/"})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/admin/")["Location"].startswith(SETUP)


def test_enrolling_with_the_app_code_lets_them_in(client, superuser):
    signed_in(client, superuser)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=superuser)
    response = client.post(SETUP, {"code": code(device), "next": "/admin/pages/"})
    # The recovery codes are shown once (tests/security/test_recovery_codes.py), then the
    # page leads on to where they were going.
    assert response.status_code == 200
    assert 'href="/admin/pages/"' in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200


def test_an_enrolled_administrator_gives_a_code_after_the_password(client, superuser):
    device = enrol(superuser)
    signed_in(client, superuser)
    response = client.get("/admin/pages/")
    assert response["Location"] == f"{VERIFY}?next=%2Fadmin%2Fpages%2F"
    # Without a verified session the setup page cannot be used to add another app.
    assert client.get(SETUP)["Location"] == VERIFY

    wrong = client.post(VERIFY, {"code": "000000", "next": "/admin/pages/"})
    assert wrong.status_code == 200 and "That code is not right" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302
    # Right after a wrong code even the right one waits (django-otp's throttle) ...
    assert client.post(VERIFY, {"code": code(device)}).status_code == 200
    wait_out_the_throttle(device)

    right = client.post(VERIFY, {"code": code(device), "next": "/admin/pages/"})
    assert right["Location"] == "/admin/pages/"
    assert client.get("/admin/").status_code == 200


def test_a_code_works_once(client, superuser, django_user_model):
    device = enrol(superuser)
    token = code(device)
    signed_in(client, superuser)
    assert client.post(VERIFY, {"code": token})["Location"] == "/admin/"
    client.logout()
    signed_in(client, superuser)
    assert client.post(VERIFY, {"code": token}).status_code == 200  # replayed: refused
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/"])
def test_after_the_code_next_never_leaves_the_site(client, superuser, target):
    device = enrol(superuser)
    signed_in(client, superuser)
    response = client.post(VERIFY, {"code": code(device), "next": target})
    assert response["Location"] == "/admin/"


def test_other_staff_may_enrol_and_are_then_asked_too(client, editor):
    signed_in(client, editor)
    assert client.get("/admin/").status_code == 200  # not enrolled: not asked
    device = enrol(editor)
    client.logout()
    signed_in(client, editor)
    assert client.get("/admin/")["Location"].startswith(VERIFY)
    client.post(VERIFY, {"code": code(device)})
    assert client.get("/admin/").status_code == 200


def test_the_requirement_can_be_turned_off(client, settings, superuser):
    settings.REQUIRE_2FA_FOR_ADMINS = False
    signed_in(client, superuser)
    assert client.get("/admin/").status_code == 200


def test_the_account_page_links_to_the_setup(client, editor):
    signed_in(client, editor)
    html = client.get("/admin/account/").content.decode()
    assert re.search(rf'href="{SETUP}"[^>]*>Two-factor authentication<', html)


def test_a_lost_phone_is_reset_from_the_server(client, superuser):
    enrol(superuser)
    call_command("reset_2fa", superuser.username)
    assert not TOTPDevice.objects.filter(user=superuser).exists()
    signed_in(client, superuser)
    assert client.get("/admin/")["Location"].startswith(SETUP)
