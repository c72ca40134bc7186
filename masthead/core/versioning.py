"""The content version: one token that changes whenever published content changes.

Reader pages hold site-wide data (settings, sections, kinds, LATEST, briefs, related stories) in
process memory, keyed by this token. A publish on any process or in the worker changes it, so every
process drops what it held. Writes that bypass Wagtail's signals (bulk loads, raw SQL) must call
`bump()` themselves.

Each process reads the token from the database at most once every CONTENT_VERSION_SECONDS (0.25 s
by default): a request in between costs no query at all. So another process may go on serving what
it held for up to that long after a commit; the process that wrote sees its own change at once
(`bump()` forgets the held token, and forgets it again when the transaction commits). The caching
proxies are told to drop pages only once that window has passed (masthead.edge.tasks), so they never
fetch a page older than the commit they were purged for.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction

from masthead.core.sql import prepared_cursor

T = TypeVar("T")

_TABLE = "core_contentversion"
_local = threading.local()
_MISSING = object()


# (token, monotonic time it was read) for the whole process; replaced whole, never mutated.
_held: tuple[str, float] | None = None


def current() -> str:
    """The current token, read again when the held one is older than CONTENT_VERSION_SECONDS."""
    global _held
    held = _held
    now = time.monotonic()
    if held is not None and now - held[1] < settings.CONTENT_VERSION_SECONDS:
        return held[0]
    token = read()
    _held = (token, now)
    return token


def held() -> str | None:
    """The token this process holds, if it is still inside its window; None means ask `current()`."""
    held = _held
    if held is not None and time.monotonic() - held[1] < settings.CONTENT_VERSION_SECONDS:
        return held[0]
    return None


def read() -> str:
    """The token in the database now (raw SQL: the ORM costs more than the query itself)."""
    with prepared_cursor() as cursor:
        cursor.execute(f"SELECT token FROM {_TABLE} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else "initial"


def forget() -> None:
    """Drop the held token: the next `current()` reads the database."""
    global _held
    _held = None


def bump() -> None:
    """Give published content a new token.

    Written in the caller's transaction: other processes see the new token exactly when they see
    the new content, and a rollback restores the old token (an entry cached under the discarded
    random token is simply never asked for again).
    """
    from masthead.core.models import ContentVersion

    ContentVersion.objects.update_or_create(id=1, defaults={"token": uuid.uuid4().hex})
    # Now for this transaction's own reads; again at commit, in case another thread of this
    # process read the old token in between and holds it.
    forget()
    connection = transaction.get_connection()
    if connection.in_atomic_block and not any(
            func is forget for _, func, _ in connection.run_on_commit):
        transaction.on_commit(forget)


class VersionedCache:
    """A bounded in-process LRU whose entries are valid for one content token only."""

    def __init__(self, max_entries: int = 2048):
        self.max_entries = max_entries
        self._data: OrderedDict[Any, tuple[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(self, token: str, key: Any, build: Callable[[], T]) -> T:
        value = self.peek(token, key, _MISSING)
        if value is _MISSING:
            value = build()
            self.put(token, key, value)
        return value

    def peek(self, token: str, key: Any, default: Any = None) -> Any:
        """The value held for `key` under `token`, or `default`."""
        with self._lock:
            hit = self._data.get(key)
            if hit is not None and hit[0] == token:
                self._data.move_to_end(key)
                return hit[1]
        return default

    def put(self, token: str, key: Any, value: Any) -> None:
        with self._lock:
            self._data[key] = (token, value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


cache = VersionedCache()


def cached(key: Any, build: Callable[[], T], *, token: str | None = None) -> T:
    """`build()`'s value for `key`, rebuilt only when the content token has changed."""
    return cache.get_or_build(token or current(), key, build)
