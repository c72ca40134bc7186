"""Recovery codes for two-factor authentication: made at enrolment and shown once, stored only
as hashes, each accepted once instead of the app's code, throttled like app codes, replaced on
request; and an administrator's reset of someone's two-factor authentication."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from masthead.security import recovery
from masthead.security.models import RecoveryCode

from .conftest import code, enrol, log_in

pytestmark = pytest.mark.django_db

SETUP = "/admin/2fa/setup/"
VERIFY = "/admin/2fa/verify/"
RECOVER = "/admin/2fa/recover/"
NEW_CODES = "/admin/2fa/recovery-codes/"
SHOWN = re.compile(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>")


@pytest.fixture(autouse=True)
def required(settings):
    settings.REQUIRE_2FA_FOR_ADMINS = True


def enrol_with_codes(user) -> tuple[TOTPDevice, list[str]]:
    return enrol(user), recovery.codes_issue(user=user)


def signed_in(client, user) -> None:
    assert log_in(client, user.username).status_code == 302


def verified(client, user, device) -> None:
    signed_in(client, user)
    assert client.post(VERIFY, {"code": code(device)}).status_code == 302


def wait_out_the_throttle(device) -> None:
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=5))


def lets_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_enrolling_shows_ten_codes_once_and_keeps_only_their_hashes(client, superuser):
    signed_in(client, superuser)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=superuser)
    page = client.post(SETUP, {"code": code(device), "next": "/admin/pages/"})
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    html = page.content.decode()
    codes = SHOWN.findall(html)
    assert len(codes) == len(set(codes)) == 10
    assert 'href="/admin/pages/"' in html  # on to where they were going

    stored = list(RecoveryCode.objects.filter(user=superuser).values_list("code_hash", flat=True))
    assert len(stored) == len(set(stored)) == 10
    for shown in codes:
        plain = shown.replace("-", "")
        assert not any(plain in h or shown in h for h in stored)
    assert all(h.startswith("sha256$") for h in stored)

    status = client.get(SETUP).content.decode()  # their two-factor page, later
    assert "10 unused recovery codes" in status
    assert not SHOWN.search(status)  # never shown again


def test_a_recovery_code_stands_in_for_the_app_once(client, editor):
    device, codes = enrol_with_codes(editor)
    signed_in(client, editor)
    assert client.get("/admin/")["Location"].startswith(VERIFY)
    assert RECOVER in client.get(VERIFY).content.decode()  # the way to it is offered

    typed = codes[0].upper().replace("-", " ")  # as copied from paper
    response = client.post(RECOVER, {"code": typed, "next": "/admin/pages/"})
    assert response.status_code == 302 and response["Location"] == "/admin/pages/"
    assert "9 of your codes left" in client.get("/admin/").content.decode()
    assert recovery.codes_left(editor) == 9

    client.logout()
    signed_in(client, editor)
    again = client.post(RECOVER, {"code": codes[0]})
    assert again.status_code == 200
    assert "has been used already" in again.content.decode()
    assert not lets_in(client)

    wait_out_the_throttle(device)
    assert client.post(RECOVER, {"code": codes[1]}).status_code == 302
    assert lets_in(client)


def test_wrong_recovery_codes_are_throttled_with_the_app_codes(client, superuser):
    device, codes = enrol_with_codes(superuser)
    signed_in(client, superuser)
    assert client.post(RECOVER, {"code": "abcd-efgh-jkmn"}).status_code == 200
    # Right after a wrong code even a right one waits, at this step and at the app's.
    assert client.post(RECOVER, {"code": codes[0]}).status_code == 200
    assert client.post(VERIFY, {"code": code(device)}).status_code == 200
    assert not lets_in(client)
    assert recovery.codes_left(superuser) == 10  # a refused code is not spent

    wait_out_the_throttle(device)
    assert client.post(RECOVER, {"code": codes[0]}).status_code == 302
    assert lets_in(client)


def test_the_recovery_step_needs_the_password_and_an_enrolled_app(client, editor):
    assert client.get(RECOVER)["Location"].startswith("/admin/login/")
    signed_in(client, editor)  # never enrolled: nothing to recover
    assert client.get(RECOVER)["Location"] == SETUP


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/"])
def test_after_a_recovery_code_next_never_leaves_the_site(client, editor, target):
    _, codes = enrol_with_codes(editor)
    signed_in(client, editor)
    assert client.post(RECOVER, {"code": codes[0], "next": target})["Location"] == "/admin/"


def test_new_codes_replace_the_old_set(client, editor):
    device, old = enrol_with_codes(editor)
    verified(client, editor, device)
    assert client.get(NEW_CODES).status_code == 405  # a POST from the two-factor page only
    page = client.post(NEW_CODES)
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    new = SHOWN.findall(page.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert RecoveryCode.objects.filter(user=editor).count() == 10

    client.logout()
    signed_in(client, editor)
    assert client.post(RECOVER, {"code": old[0]}).status_code == 200  # the old set is gone
    wait_out_the_throttle(device)
    assert client.post(RECOVER, {"code": new[0]}).status_code == 302


def test_new_codes_need_a_verified_session(client, editor):
    device, codes = enrol_with_codes(editor)
    signed_in(client, editor)  # the password alone: a stolen one must not mint codes
    response = client.post(NEW_CODES)
    assert response["Location"] == VERIFY
    assert recovery.codes_left(editor) == 10
    wait_out_the_throttle(device)
    assert client.post(RECOVER, {"code": codes[0]}).status_code == 302  # still the same set


def test_a_lost_phone_reset_from_the_server_removes_the_codes_too(superuser):
    enrol_with_codes(superuser)
    call_command("reset_2fa", superuser.username)
    assert not RecoveryCode.objects.filter(user=superuser).exists()


def test_an_administrator_resets_an_editors_two_factor_in_the_admin(client, superuser, editor,
                                                                    django_user_model):
    enrol_with_codes(editor)
    verified(client, superuser, enrol(superuser))
    reset = f"/admin/security/users/{editor.pk}/reset-2fa/"
    assert reset in client.get("/admin/users/").content.decode()
    page = client.get(reset)
    assert page.status_code == 200
    assert "has an authenticator app set up and 10 unused recovery codes" in page.content.decode()

    response = client.post(reset)
    assert response["Location"] == "/admin/users/"
    assert not TOTPDevice.objects.filter(user=editor).exists()
    assert not RecoveryCode.objects.filter(user=editor).exists()
    assert TOTPDevice.objects.filter(user=superuser).exists()  # only theirs

    client.logout()
    signed_in(client, editor)
    assert lets_in(client)  # no second step until they enrol again


def test_only_a_verified_administrator_can_reset_someone(client, superuser, editor):
    enrol_with_codes(superuser)
    enrol(editor)
    reset = f"/admin/security/users/{superuser.pk}/reset-2fa/"
    verified(client, editor, TOTPDevice.objects.get(user=editor))
    for refused in (client.get(reset), client.post(reset)):  # Wagtail's "no permission"
        assert refused.status_code == 302 and refused["Location"] == "/admin/"
    assert reset not in client.get("/admin/users/").content.decode()
    client.logout()

    signed_in(client, superuser)  # an administrator's password alone is not enough
    assert client.post(f"/admin/security/users/{editor.pk}/reset-2fa/")["Location"].startswith(
        VERIFY)
    assert TOTPDevice.objects.filter(user__in=[superuser, editor]).count() == 2
    assert RecoveryCode.objects.filter(user=superuser).count() == 10
