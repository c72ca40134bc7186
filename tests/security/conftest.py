"""Fixtures for the hardening tests: people with admin access and their authenticator apps."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "Correct-Horse-Battery-42"


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("chief", "chief@example.org", PASSWORD)


@pytest.fixture
def editor(db) -> User:
    user = User.objects.create_user("eddie", "eddie@example.org", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def enrol(user: User) -> TOTPDevice:
    """An authenticator app already set up for `user`."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def code(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The code the user's app shows now (or `offset_steps` periods away)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def log_in(client, username: str, password: str = PASSWORD, *, next_url: str = "", **extra):
    """Post the Wagtail sign-in form; returns the response (not followed)."""
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/admin/login/", data, **extra)
