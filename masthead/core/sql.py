"""Raw SQL for the few queries every reader request runs.

`prepared_cursor()` is `connection.cursor()` for the content version, the article by its slug and
a listing page. On PostgreSQL it binds parameters on the server, so psycopg prepares a statement
once it has run DB_PREPARE_THRESHOLD times on a connection: PostgreSQL then skips parsing and
planning it (0.1–0.4 ms of its CPU per query, measured on the 100,000-article bench). Every other
query keeps Django's default client-side binding, which never prepares. With
DB_PREPARE_THRESHOLD empty (a transaction-mode connection pooler in between) nothing is prepared.
On SQLite it is Django's cursor: sqlite3 already keeps compiled statements per connection.

Queries run through it are wrapped like any other (logged, counted by tests, errors translated).
"""

from __future__ import annotations

import contextlib
import functools

from django.db import connection


@contextlib.contextmanager
def prepared_cursor():
    if (connection.vendor != "postgresql"
            or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None):
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = _cursor_class()(connection.connection)
    with connection._prepare_cursor(raw) as cursor:
        yield cursor


@functools.cache
def _cursor_class():
    import psycopg

    class Cursor(psycopg.Cursor):
        """psycopg's cursor, keeping the statement of a prepared execution where a plain one
        keeps it (`_query`): Django's query log reads it there, and logged None otherwise
        (pinned psycopg; tests/discovery/test_sitemaps.py reads every logged statement)."""

        def _send_query_prepared(self, name, pgq, *, binary=None):
            self._query = pgq
            return super()._send_query_prepared(name, pgq, binary=binary)

    return Cursor
