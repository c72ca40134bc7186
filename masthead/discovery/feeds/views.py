"""Serve feeds: cached bytes, cache headers, and 304 Not Modified for conditional requests."""

from __future__ import annotations

import hashlib

from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from masthead.core import versioning
from masthead.discovery.feeds.build import built_feed

MAX_AGE = 300


def etag_for(token: str, scope: str, slug: str, fmt: str) -> str:
    """Weak: equal for equal content (token) and feed, though the bytes may differ slightly
    between processes (an empty feed's date)."""
    digest = hashlib.sha256(f"{token}\n{scope}\n{slug}\n{fmt}".encode()).hexdigest()[:32]
    return f'W/"{digest}"'


@require_safe
def feed(request, fmt: str, scope: str = "main", slug: str = ""):
    """One feed in one format; an unknown section, kind, tag or author is a 404."""
    token = versioning.current()
    built = built_feed(token, scope, slug, fmt)
    response = HttpResponse(built.body, content_type=built.content_type)
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response["xkey"] = " ".join(dict.fromkeys(built.keys))
    etag = etag_for(token, scope, slug, fmt)
    response["ETag"] = etag
    last_modified = int(built.last_modified.timestamp()) if built.last_modified else None
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    conditional = get_conditional_response(
        request, etag=etag, last_modified=last_modified, response=response
    )
    if conditional is not response:
        conditional["xkey"] = response["xkey"]  # a proxy may store the 304's headers too
    return conditional
