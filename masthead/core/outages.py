"""When something the app depends on is down: a clear 503 instead of a 500 with a traceback.

Django hands every exception that escapes a view or a middleware to `handler500`, from inside
its `except` block, so the exception is still at hand there. Two kinds are outages, not bugs:

* the database is unreachable, restarting or busy (`OperationalError`, `InterfaceError`):
  the request's transaction was not committed, so trying again later is the right advice;
* the disk is full (`ENOSPC`, `EDQUOT`), typically while an upload is being stored.

Both answer 503 Service Unavailable with `Retry-After`, marked `private, no-store` so no cache
keeps it (a caching proxy keeps serving what it has, within its grace). Django still logs the
exception with its traceback for the operator. Anything else gets the styled 500 page.
"""

from __future__ import annotations

import errno
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

from masthead.core import views

RETRY_AFTER_SECONDS = 30
NO_STORE = "private, no-store"


def outage_kind(exc: BaseException | None) -> str | None:
    """"database" or "storage" if `exc` means a dependency is down, else None (a bug)."""
    if isinstance(exc, OperationalError | InterfaceError):
        return "database"
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "storage"
    return None


def unavailable(kind: str) -> HttpResponse:
    """The styled 503 page; like the 500 page it needs neither the database nor a request."""
    response = HttpResponse(render_to_string("503.html", {"kind": kind}, using="jinja2"),
                            status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = NO_STORE
    return response


def server_error(request):
    """handler500: 503 for an outage, the styled 500 page for anything else."""
    kind = outage_kind(sys.exc_info()[1])
    if kind is None:
        return views.server_error(request)
    return unavailable(kind)
