"""The reader's IP address, for rate limits, lockouts and the consent log.

On one machine it is REMOTE_ADDR. Behind proxies (nginx → Varnish → app in deploy/), REMOTE_ADDR
is the last proxy; each proxy appends the address it received the request from to
X-Forwarded-For. With TRUSTED_PROXY_HOPS = the number of proxies in front of the app, the
reader's address is the entry that many places from the right: entries further left were
written by the client itself and are never trusted.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address, or None when what we would trust is not an IP address."""
    hops = settings.TRUSTED_PROXY_HOPS
    if hops > 0:
        forwarded = [p for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return _ip(forwarded[-hops])
    return _ip(request.META.get("REMOTE_ADDR", ""))
