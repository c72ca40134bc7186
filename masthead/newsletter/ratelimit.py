"""Sign-up rate limits, counted from the consent log so they hold across processes and servers.

NEWSLETTER_RATE_PER_IP and NEWSLETTER_RATE_PER_ADDRESS read "count/period", the period being a
unit (s, m, h, d) optionally preceded by a number: "20/h", "5/15m", "100/d".

The client is masthead.core.clientip.client_ip: REMOTE_ADDR, or behind TRUSTED_PROXY_HOPS proxies
the address the first of them saw (never an X-Forwarded-For entry the client could have written).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from masthead.newsletter.models import ConsentEvent

SIGN_UP_KINDS = (ConsentEvent.Kind.SIGNUP, ConsentEvent.Kind.RESUBSCRIBE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    def window_start(self, now: datetime) -> datetime:
        return now - timedelta(seconds=self.seconds)


class RateLimited(Exception):
    """Too many sign-ups in the window; `retry_after` is in seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"rate limited; retry after {retry_after}s")
        self.retry_after = retry_after


def parse_rate(text: str) -> Rate:
    """ "20/h" -> Rate(20, 3600); "5/15m" -> Rate(5, 900)."""
    match = _RATE.match(text or "")
    if not match:
        raise ImproperlyConfigured(f"A rate reads like '20/h' or '5/15m', not {text!r}")
    count, multiplier, unit = match.groups()
    return Rate(count=int(count), seconds=int(multiplier or 1) * _UNITS[unit])


def check_sign_up(*, email: str, ip: str | None) -> None:
    """Raise RateLimited if this address or this IP has signed up too often lately.

    Call it inside the transaction that logs the sign-up: on SQLite (IMMEDIATE transactions) the
    count and the new row are then serialised, so concurrent requests cannot both slip under.
    """
    now = timezone.now()
    per_address = parse_rate(settings.NEWSLETTER_RATE_PER_ADDRESS)
    recent = ConsentEvent.objects.filter(
        subscriber__email=email, kind__in=SIGN_UP_KINDS, at__gte=per_address.window_start(now)
    )
    if recent.count() >= per_address.count:
        raise RateLimited(per_address.seconds)
    if ip is None:
        return
    per_ip = parse_rate(settings.NEWSLETTER_RATE_PER_IP)
    recent = ConsentEvent.objects.filter(
        ip=ip, at__gte=per_ip.window_start(now), kind__in=SIGN_UP_KINDS
    )
    if recent.count() >= per_ip.count:
        raise RateLimited(per_ip.seconds)
