"""Admin sign-in: lockout per account and per address (django-axes through Wagtail's own login
view), the client address behind the proxy, and `next=` that never leaves the site."""

from __future__ import annotations

import pytest

from .conftest import log_in

pytestmark = pytest.mark.django_db


def fail(client, username: str, **extra) -> int:
    """One wrong password; the status: 200 (the form again, with its error) or 429 (locked)."""
    return log_in(client, username, "wrong-password", **extra).status_code


def assert_locked_out(response, client) -> None:
    assert response.status_code == 429
    text = response.content.decode()
    assert "Signing in is paused" in text
    assert "Too many failed sign-in attempts" in text
    assert "15 minutes" in text
    assert "_auth_user_id" not in client.session  # nothing signed in


def test_an_account_is_locked_after_five_failures_from_anywhere(client, superuser, editor):
    statuses = [fail(client, superuser.username, REMOTE_ADDR=f"198.51.100.{n}") for n in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # the fifth failure locks
    # Even the right password, from an address that never failed, is refused now.
    assert_locked_out(log_in(client, superuser.username, REMOTE_ADDR="192.0.2.50"), client)
    # Another account from that address is not affected.
    assert log_in(client, editor.username, REMOTE_ADDR="192.0.2.50").status_code == 302


def test_an_address_is_locked_after_five_failures_on_any_accounts(client, superuser, editor):
    statuses = [fail(client, f"guess-{n}", REMOTE_ADDR="203.0.113.9") for n in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    assert_locked_out(log_in(client, editor.username, REMOTE_ADDR="203.0.113.9"), client)
    assert log_in(client, editor.username, REMOTE_ADDR="203.0.113.10").status_code == 302


def test_four_failures_then_the_right_password_signs_in_and_starts_over(client, editor):
    for _ in range(2):
        assert [fail(client, editor.username, REMOTE_ADDR="192.0.2.7") for _ in range(4)] == [200] * 4
        assert log_in(client, editor.username, REMOTE_ADDR="192.0.2.7").status_code == 302
        client.logout()


def test_behind_the_proxies_the_reader_is_locked_not_the_proxy(client, settings, editor):
    """nginx appends the reader, Varnish appends nginx (TRUSTED_PROXY_HOPS=2); whatever the
    client wrote further left changes nothing."""
    settings.TRUSTED_PROXY_HOPS = 2
    statuses = [
        fail(client, f"guess-{n}", REMOTE_ADDR="127.0.0.1",
             HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 198.51.100.77, 127.0.0.1")
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    locked = log_in(client, editor.username, REMOTE_ADDR="127.0.0.1",
                    HTTP_X_FORWARDED_FOR="198.51.100.77, 127.0.0.1")
    assert_locked_out(locked, client)
    # Other readers behind the same proxies can still sign in.
    other = log_in(client, editor.username, REMOTE_ADDR="127.0.0.1",
                   HTTP_X_FORWARDED_FOR="198.51.100.78, 127.0.0.1")
    assert other.status_code == 302


def test_without_proxies_a_forwarded_header_is_ignored(client, settings, editor):
    settings.TRUSTED_PROXY_HOPS = 0
    for n in range(5):  # a client that invents a new X-Forwarded-For each time
        fail(client, f"guess-{n}", REMOTE_ADDR="203.0.113.20", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert_locked_out(log_in(client, editor.username, REMOTE_ADDR="203.0.113.20"), client)


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/admin/",
                                    "http://evil.example", "/\\evil.example"])
def test_after_sign_in_next_never_leaves_the_site(client, editor, target):
    response = log_in(client, editor.username, next_url=target)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_after_sign_in_next_within_the_site_is_followed(client, editor):
    response = log_in(client, editor.username, next_url="/admin/pages/")
    assert response["Location"] == "/admin/pages/"
