"""The content version: one token that changes whenever published content changes.

Reader pages hold site-wide data (settings, sections, kinds, LATEST, briefs, related stories) in
process memory, keyed by this token. Reading it costs one tiny query per request; a publish on any
process or in the worker changes it, so every process drops what it held. Writes that bypass
Wagtail's signals (bulk loads, raw SQL) must call `bump()` themselves.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import connection

T = TypeVar("T")

_TABLE = "core_contentversion"
_local = threading.local()
_MISSING = object()


def current() -> str:
    """The current token (raw SQL: the ORM costs more than the query itself)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {_TABLE} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else "initial"


def bump() -> None:
    """Give published content a new token.

    Written in the caller's transaction: other processes see the new token exactly when they see
    the new content, and a rollback restores the old token (an entry cached under the discarded
    random token is simply never asked for again).
    """
    from masthead.core.models import ContentVersion

    ContentVersion.objects.update_or_create(id=1, defaults={"token": uuid.uuid4().hex})


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
