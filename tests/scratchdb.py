"""A copy of the migrated test database that subprocesses (workers, servers) can open.

On SQLite the test database lives in memory, so it is backed up to a file; on PostgreSQL a new
database is created from the test database as a template. Either way the copy starts migrated
and empty of test data, and `query()` reads it with the vendor's own driver.
"""

from __future__ import annotations

import itertools
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

_counter = itertools.count()


@dataclass
class ScratchDB:
    url: str
    vendor: str
    name: str
    _admin: dict | None = None

    def query(self, sql: str, params=()) -> list[tuple]:
        if self.vendor == "sqlite":
            with sqlite3.connect(self.name, timeout=20) as conn:
                return [tuple(r) for r in conn.execute(sql, params).fetchall()]
        import psycopg

        with psycopg.connect(**self._connect_kwargs(self.name), autocommit=True) as conn:
            return [tuple(r) for r in conn.execute(sql.replace("?", "%s"), params).fetchall()]

    def _connect_kwargs(self, dbname: str) -> dict:
        s = self._admin or {}
        kwargs = {"dbname": dbname, "host": s.get("HOST") or "127.0.0.1", "user": s.get("USER")}
        if s.get("PORT"):
            kwargs["port"] = int(s["PORT"])
        if s.get("PASSWORD"):
            kwargs["password"] = s["PASSWORD"]
        return kwargs

    def copy(self, tmp_path: Path) -> ScratchDB:
        """A fresh database with this one's contents (this one is a template)."""
        if self.vendor == "sqlite":
            target = tmp_path / f"scratch-{next(_counter)}.sqlite3"
            with sqlite3.connect(self.name) as src, sqlite3.connect(target) as dst:
                src.backup(dst)
            return ScratchDB(f"sqlite:///{target}", "sqlite", str(target))
        import psycopg

        name = f"scratch_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(**self._connect_kwargs("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
        return ScratchDB(_pg_url(self._admin, name), "postgresql", name, self._admin)


def _pg_url(s: dict, name: str) -> str:
    auth = s.get("USER") or ""
    if s.get("PASSWORD"):
        auth += f":{s['PASSWORD']}"
    return f"postgres://{auth}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{name}"


def template(django_db_blocker, tmp_dir: Path) -> ScratchDB:
    """Snapshot the migrated test database; call before any test transaction begins."""
    with django_db_blocker.unblock():
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            path = tmp_dir / "template.sqlite3"
            target = sqlite3.connect(path)
            connection.connection.backup(target)
            target.close()
            return ScratchDB(f"sqlite:///{path}", "sqlite", str(path))
        if connection.vendor != "postgresql":
            pytest.skip(f"no scratch copies on {connection.vendor}")
        import psycopg

        settings = dict(connection.settings_dict)
        test_name = settings["NAME"]
        connection.close()
        admin = ScratchDB("", "postgresql", test_name, settings)
        name = f"tmpl_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(**admin._connect_kwargs("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{test_name}"')
        return ScratchDB(_pg_url(settings, name), "postgresql", name, settings)
