"""Content-Security-Policy violation reports: what browsers say the policy refused.

The policy asks browsers to POST a report whenever it blocks something: `report-uri
/csp-report/` (every browser) and `report-to csp`, the endpoint the `Reporting-Endpoints`
header names (browsers with the Reporting API use it instead). Two formats arrive:

* `application/csp-report`: `{"csp-report": {"document-uri": …, "effective-directive": …,
  "blocked-uri": …}}`, one violation per request;
* `application/reports+json`: a list of reports, `{"type": "csp-violation", "body":
  {"documentURL": …, "effectiveDirective": …, "blockedURL": …}}`, possibly batched with
  reports of other types (ignored).

Each violation is logged to `masthead.security.csp` with its directive, the blocked address and
the page's address. Anyone can post here, so what is logged is cut short, stripped of control
characters (no forged log lines) and of query strings and fragments (a page's address may carry
a newsletter token); bodies are capped and each address is rate-limited.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import cache

from masthead.newsletter.ratelimit import parse_rate

log = logging.getLogger("masthead.security.csp")

MAX_BODY_BYTES = 16 * 1024
MAX_VIOLATIONS = 20  # logged from one request; a batch may hold more
FIELD_CHARS = 200
LEGACY_TYPES = frozenset({"application/csp-report", "application/json"})
REPORTING_API_TYPE = "application/reports+json"


class BadReport(ValueError):
    """The body is not a violation report in either format."""


class UnsupportedType(ValueError):
    """The request is not of a report's content type."""


@dataclass(frozen=True)
class Violation:
    directive: str
    blocked: str
    document: str
    disposition: str


def violations_from(body: bytes, content_type: str) -> list[Violation]:
    """The violations in a report body of `content_type`; BadReport or UnsupportedType if
    it is not one."""
    if content_type not in LEGACY_TYPES and content_type != REPORTING_API_TYPE:
        raise UnsupportedType(content_type)
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadReport("not JSON") from exc
    if isinstance(data, dict) and isinstance(data.get("csp-report"), dict):
        report = data["csp-report"]
        return [Violation(
            directive=_field(report.get("effective-directive") or report.get("violated-directive")),
            blocked=_address(report.get("blocked-uri")),
            document=_address(report.get("document-uri")),
            disposition=_field(report.get("disposition") or "enforce"),
        )]
    if isinstance(data, list) and all(isinstance(item, dict) for item in data):
        return [_from_reporting_api(item) for item in data
                if item.get("type") == "csp-violation" and isinstance(item.get("body"), dict)]
    raise BadReport("neither a csp-report object nor a list of reports")


def _from_reporting_api(item: dict) -> Violation:
    report = item["body"]
    return Violation(
        directive=_field(report.get("effectiveDirective")),
        blocked=_address(report.get("blockedURL")),
        document=_address(report.get("documentURL") or item.get("url")),
        disposition=_field(report.get("disposition") or "enforce"),
    )


def violations_log(violations: list[Violation], *, ip: str | None) -> None:
    """Log each violation (at most MAX_VIOLATIONS) as a warning on `masthead.security.csp`."""
    for violation in violations[:MAX_VIOLATIONS]:
        log.warning(
            "CSP violation (%s): %s blocked %s on %s [from %s]",
            violation.disposition, violation.directive or "?", violation.blocked or "?",
            violation.document or "?", ip or "?",
        )


def within_rate(ip: str | None) -> bool:
    """True if `ip` has sent no more than CSP_REPORT_RATE_PER_IP reports in the current window.

    Counted in the default cache (per process with the memory cache, shared with CACHE_URL):
    reports are noise to be bounded, not records to keep, so nothing is written to the database.
    """
    rate = parse_rate(settings.CSP_REPORT_RATE_PER_IP)
    window = int(time.time() // rate.seconds)
    key = f"csp-report:{ip or 'unknown'}:{window}"
    cache.add(key, 0, timeout=rate.seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=rate.seconds + 1)
        count = 1
    return count <= rate.count


def _field(value) -> str:
    text = "".join(ch if ch.isprintable() else " " for ch in str(value or ""))
    return text if len(text) <= FIELD_CHARS else text[:FIELD_CHARS - 1] + "…"


def _address(value) -> str:
    """A URL without its query and fragment; keywords such as `inline` or `eval` as they are."""
    text = str(value or "")
    try:
        parts = urlsplit(text)
    except ValueError:
        return _field(text)
    if parts.scheme in ("http", "https", "ws", "wss"):
        text = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    elif parts.scheme in ("data", "blob", "javascript"):
        text = f"{parts.scheme}:"
    return _field(text)
