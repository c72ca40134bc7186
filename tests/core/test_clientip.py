"""The reader's IP behind proxies: only addresses our own proxies wrote are trusted."""

import pytest
from django.test import RequestFactory

from masthead.core.clientip import client_ip


def _request(remote="127.0.0.1", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_proxies_it_is_the_peer_and_forwarded_headers_are_ignored(settings):
    settings.TRUSTED_PROXY_HOPS = 0
    assert client_ip(_request("203.0.113.9", "6.6.6.6")) == "203.0.113.9"


@pytest.mark.parametrize("hops, forwarded, expected", [
    # nginx wrote the reader's address, Varnish wrote nginx's; anything left of it is the client's.
    (2, "6.6.6.6, 203.0.113.9, 127.0.0.1", "203.0.113.9"),
    (2, "203.0.113.9, 127.0.0.1", "203.0.113.9"),
    (1, "6.6.6.6, 198.51.100.4", "198.51.100.4"),
    (2, "not-an-ip, 127.0.0.1", None),  # garbage in the trusted slot: no address at all
])
def test_behind_proxies_the_trusted_entry_counts(settings, hops, forwarded, expected):
    settings.TRUSTED_PROXY_HOPS = hops
    assert client_ip(_request("127.0.0.1", forwarded)) == expected


def test_a_request_that_skipped_the_proxies_falls_back_to_the_peer(settings):
    settings.TRUSTED_PROXY_HOPS = 2
    assert client_ip(_request("192.0.2.7", "6.6.6.6")) == "192.0.2.7"
    assert client_ip(_request("192.0.2.7")) == "192.0.2.7"
