"""Invalidation: a change names the keys of what it changed; every cache drops exactly those.

Two caches hold reader pages:

* the app page cache (masthead.edge.middleware), valid for one content version: `invalidate()`
  bumps the version in the caller's transaction, so no process serves a page older than what
  it can read;
* the caching proxies in VARNISH_URLS: after the transaction commits, a task asks each node to
  drop every object tagged with one of the keys (`PURGE` with an `xkey-purge` header, answered by
  deploy/varnish/masthead.vcl). The worker sends it, retrying while a node is unreachable.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from masthead.core import versioning

logger = logging.getLogger(__name__)

PURGE_HEADER = "xkey-purge"
MAX_KEYS_PER_REQUEST = 200  # keeps each PURGE's header well under Varnish's 8 KB limit

# Keys waiting for this thread's transaction to commit. Per thread, like Django's connections:
# another thread's commit must never send them before this thread's data is visible.
_local = threading.local()


def _pending() -> set[str]:
    if not hasattr(_local, "keys"):
        _local.keys = set()
    return _local.keys


class PurgeFailed(RuntimeError):
    pass


def invalidate(keys: Iterable[str]) -> None:
    """Drop every cached page that shows one of `keys`, once the caller's transaction commits."""
    versioning.bump()
    keys = {k for k in keys if k}
    if not keys or not settings.VARNISH_URLS:
        return
    _pending().update(keys)
    # Every call registers a flush; the first to run after a commit sends all pending keys, the
    # others find nothing left. Keys of a rolled-back transaction go out with the next commit:
    # an extra purge is harmless, a missing one is not.
    transaction.on_commit(_flush)


def _flush() -> None:
    pending = _pending()
    keys = sorted(pending)
    pending.clear()
    if keys:
        from masthead.edge import tasks

        # Not before every process has read the new content version (masthead.core.versioning).
        tasks.purge_keys.enqueue(keys, time.time() + settings.CONTENT_VERSION_SECONDS + 0.02)


def purge(keys: list[str], *, attempts: int = 5, timeout: float = 2.0) -> int:
    """Send the purge to every proxy node; retry with backoff. Returns objects purged in all."""
    total = 0
    for url in settings.VARNISH_URLS:
        for chunk_start in range(0, len(keys), MAX_KEYS_PER_REQUEST):
            chunk = keys[chunk_start:chunk_start + MAX_KEYS_PER_REQUEST]
            total += _purge_node(url, chunk, attempts=attempts, timeout=timeout)
    return total


def _purge_node(url: str, keys: list[str], *, attempts: int, timeout: float) -> int:
    parts = urlsplit(url)
    delay = 0.2
    for attempt in range(1, attempts + 1):
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
        try:
            conn.request("PURGE", "/", headers={PURGE_HEADER: " ".join(keys)})
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                return int(response.getheader("X-Purged", "0") or 0)
            problem = f"HTTP {response.status} {response.reason}"
        except OSError as exc:
            problem = f"{exc.__class__.__name__}: {exc}"
        finally:
            conn.close()
        logger.warning("purge of %d keys at %s failed (attempt %d/%d): %s",
                       len(keys), url, attempt, attempts, problem)
        if attempt < attempts:
            time.sleep(delay)
            delay = min(delay * 3, 10.0)
    raise PurgeFailed(f"{url} did not accept the purge of {len(keys)} keys: {problem}")


def purge_everything() -> int:
    """Every cached page shows the site chrome: purging `site` empties the proxies' page cache."""
    from masthead.edge import keys as k

    versioning.bump()
    return purge([k.SITE]) if settings.VARNISH_URLS else 0
