"""One search backend per database vendor, chosen by the default connection."""

from __future__ import annotations

from django.db import connection

from masthead.discovery.search.backends.base import (
    STRONG_CAP,
    Backend,
    Filters,
    Hit,
    NoBackend,
    Plan,
    Ranking,
)

__all__ = ["STRONG_CAP", "Backend", "Filters", "Hit", "Plan", "Ranking", "backend"]


def backend() -> Backend:
    """The backend for the default database."""
    if connection.vendor == "sqlite":
        from masthead.discovery.search.backends.sqlite import SQLiteBackend

        return SQLiteBackend()
    if connection.vendor == "postgresql":
        from masthead.discovery.search.backends.postgres import PostgresBackend

        return PostgresBackend()
    return NoBackend()
