"""`masthead backup` and `masthead restore`, run as real subprocesses the way an operator runs them.

The source site is a copy of the migrated test database (a SQLite file, or a PostgreSQL database in
the `postgres` run) filled through the services editors and readers use, with its media in its own
VAR_DIR. Restores go into a fresh VAR_DIR (SQLite) or a new empty database on the same server
(PostgreSQL) and are compared with the source using each database's own driver, every table row by
row and every media file byte by byte, not with the backup's own checksums.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from masthead.core.backup import canonical_value
from tests.scratchdb import ScratchDB, _pg_url

ROOT = Path(__file__).resolve().parents[2]
MASTHEAD = str(ROOT / ".venv" / "bin" / "masthead")

SETUP = """
import django; django.setup()
from masthead.newsletter.models import Subscriber
from masthead.newsletter.services.subscribers import (
    ImportRow, subscriber_sign_up, subscriber_unsubscribe, subscribers_import)
from tests import factories as f
writer = f.author("Inès Duarte")
for n in range(3):
    f.article(f"Restored story {n}: café – Ökonomie", authors=[writer], tags=["energy"])
f.brief("A brief that survives")
f.brief("Another brief")
f.image("A photo uploaded on its own")
subscribers_import(rows=[ImportRow(i, (f"reader{i}@example.org", f"Reader {i}"))
                         for i in range(1, 6)], source="test", user=None)
subscriber_sign_up(email="new@example.org", name="New", source="test", ip="192.0.2.1",
                   user_agent="test")
subscriber_unsubscribe(subscriber_id=Subscriber.objects.get(email="reader1@example.org").pk,
                       source="test", ip=None, user_agent="test")
"""

PAGE = """
import json, sys, django; django.setup()
from django.test import Client
response = Client(HTTP_HOST="127.0.0.1").get(sys.argv[1])
print(json.dumps({"status": response.status_code, "html": response.content.decode()}))
"""

WRITER = """
import sys, django; django.setup()
from pathlib import Path
from django.db import transaction
from masthead.newsletter.models import ConsentEvent, Subscriber
stop, n = Path(sys.argv[1]), 0
while not stop.exists():
    with transaction.atomic():  # a subscriber and their consent event, always together
        s = Subscriber.objects.create(email=f"writer{n}@example.org", status="confirmed",
                                      source="writer")
        ConsentEvent.objects.create(subscriber=s, kind="import", source="writer")
    n += 1
    if n == 20:
        print("writing", flush=True)
"""


@dataclass
class Source:
    db: ScratchDB
    var_dir: Path
    archive: Path
    env: dict

    @property
    def media(self) -> Path:
        return self.var_dir / "media"


def _env(var_dir: Path, database_url: str | None, settings: str = "masthead.settings") -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_URL", "EMAIL_", "MEDIA_ROOT", "VAR_DIR", "STATIC_ROOT"))}
    env.update(DJANGO_SETTINGS_MODULE=settings, VAR_DIR=str(var_dir), TASK_BACKEND="immediate",
               SECRET_KEY="backup-test-only", PYTHONUNBUFFERED="1")
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _run(args: list[str], env: dict, ok: bool = True) -> subprocess.CompletedProcess:
    # ScratchDB.query leaves its sqlite3 connections to the garbage collector; one still open
    # would make restore (rightly) refuse the database as in use by another process.
    gc.collect()
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    if ok:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def _run_all(commands: list[tuple[list[str], dict]]) -> list[subprocess.CompletedProcess]:
    """Run independent commands side by side (each starts Django and Wagtail: seconds)."""
    gc.collect()
    running = [subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for args, env in commands]
    results = []
    for (args, _), proc in zip(commands, running, strict=True):
        stdout, stderr = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(args, proc.returncode, stdout, stderr))
    return results


def _refused(done: subprocess.CompletedProcess, message: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def _tables(db: ScratchDB) -> list[str]:
    if db.vendor == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    return [name for (name,) in db.query(sql)]


def _fingerprint(db: ScratchDB) -> dict[str, tuple[int, str]]:
    """Every table (search indexes included): its row count and a hash of its sorted rows."""
    result = {}
    for table in _tables(db):
        rows = sorted(repr(row) for row in db.query(f'SELECT * FROM "{table}"'))
        result[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return result


def _media(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        return json.load(tar.extractfile("manifest.json"))


def _empty_target(source: Source, tmp: Path) -> tuple[ScratchDB, Path, dict]:
    """A fresh VAR_DIR and, on PostgreSQL, a new empty database on the source's server."""
    var = tmp / "restored"
    if source.db.vendor == "sqlite":
        path = var / "db.sqlite3"  # the default place, from VAR_DIR alone
        return ScratchDB(f"sqlite:///{path}", "sqlite", str(path)), var, _env(var, None)
    import psycopg

    name = f"restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**source.db._connect_kwargs("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = ScratchDB(_pg_url(source.db._admin, name), "postgresql", name, source.db._admin)
    return db, var, _env(var, db.url)


def _rewrite(archive: Path, dest: Path, *, manifest=None, original_image=None) -> Path:
    """A copy of the archive with its manifest or its first original image changed."""
    changed = False
    with tarfile.open(archive) as src, tarfile.open(dest, "w:gz") as out:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "manifest.json" and manifest:
                data = json.dumps(manifest(json.loads(data))).encode()
            elif member.name.startswith("media/original_images/") and original_image and not changed:
                data, changed = original_image(data), True
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return dest


@pytest.fixture(scope="module")
def source(scratch_template, tmp_path_factory) -> Source:
    tmp = tmp_path_factory.mktemp("backup-source")
    db = scratch_template.copy(tmp)
    env = _env(tmp / "var", db.url)
    _run([sys.executable, "-c", SETUP], env)
    archive = tmp / "backups" / "site.tar.gz"
    assert "Backed up" in _run([MASTHEAD, "backup", "--output", str(archive)], env).stdout
    return Source(db, tmp / "var", archive, env)


@pytest.mark.postgres
@pytest.mark.django_db  # so that the test database exists; the tests write nothing to it
def test_restore_into_a_fresh_site_brings_back_every_row_and_file(source, tmp_path):
    target, var, env = _empty_target(source, tmp_path)
    done = _run([MASTHEAD, "restore", str(source.archive)], env)
    assert "every table's row count and checksum match" in done.stdout
    assert "every file's sha256 matches" in done.stdout
    assert "SECRET_KEY" not in done.stdout  # the same key as the source

    expected = _fingerprint(source.db)
    assert _fingerprint(target) == expected
    counts = {t: expected[t][0] for t in ("editorial_articlepage", "briefs_brief",
                                         "core_mastheadimage", "newsletter_subscriber",
                                         "newsletter_consentevent")}
    assert counts == {"editorial_articlepage": 3, "briefs_brief": 2, "core_mastheadimage": 4,
                      "newsletter_subscriber": 6, "newsletter_consentevent": 7}
    manifest = _manifest(source.archive)
    assert manifest["database"]["vendor"] == source.db.vendor
    assert {t: e["rows"] for t, e in manifest["tables"].items()} == {
        t: expected[t][0] for t in manifest["tables"]}

    media = _media(var / "media")
    assert media == _media(source.media)
    assert sum(name.startswith("original_images/") for name in media) == 4
    assert {name: entry["sha256"] for name, entry in manifest["media"].items()} == media

    # The restored site serves a restored article, with its images.
    slug = source.db.query("SELECT slug FROM wagtailcore_page WHERE title LIKE ?",
                           ("Restored story 1%",))
    page_env = _env(var, env.get("DATABASE_URL"), settings="masthead.test_settings")
    page = json.loads(_run([sys.executable, "-c", PAGE, f"/articles/{slug[0][0]}/"],
                           page_env).stdout)
    assert page["status"] == 200
    assert "Restored story 1: café – Ökonomie" in page["html"]
    images = [src.split('"')[0] for src in page["html"].split('src="/media/')[1:]]
    assert images and all((var / "media" / name).is_file() for name in images)


@pytest.mark.postgres
@pytest.mark.django_db
def test_damaged_tampered_or_foreign_archives_are_refused_and_change_nothing(source, tmp_path):
    data = source.archive.read_bytes()

    def tamper_subscribers(manifest):
        manifest["tables"]["newsletter_subscriber"]["sha256"] = "0" * 64
        return manifest

    def flip_a_byte(content: bytes) -> bytes:
        return content[:200] + bytes([content[200] ^ 1]) + content[200 + 1:]

    sqlite = source.db.vendor == "sqlite"
    cases = {  # name: (archive bytes, the message, also try `backup --verify`)
        "half": (data[: len(data) // 2], "damaged or incomplete", False),
        "cut-short": (data[:-40], "damaged or incomplete", False),
        "tampered-manifest": (
            _rewrite(source.archive, tmp_path / "t", manifest=tamper_subscribers).read_bytes(),
            "table newsletter_subscriber: the rows differ from the manifest's checksum",
            sqlite),  # --verify checks PostgreSQL tables only by restoring (docs/operations.md)
        "changed-image": (
            _rewrite(source.archive, tmp_path / "i", original_image=flip_a_byte).read_bytes(),
            "does not match its checksum: media/original_images/", not sqlite),
    }
    commands, targets = [], {}
    for name, (content, message, verify) in cases.items():
        archive = tmp_path / f"{name}.tar.gz"
        archive.write_bytes(content)
        targets[name] = _empty_target(source, tmp_path / name)
        commands.append(([MASTHEAD, "restore", str(archive)], targets[name][2], message))
        if verify:
            commands.append(([MASTHEAD, "backup", "--verify", str(archive)], source.env, message))
    # A SQLite archive for a site on PostgreSQL, or the other way round.
    if sqlite:
        other, kinds = "postgres://nobody@127.0.0.1:9/nowhere", ("SQLite", "PostgreSQL")
    else:
        other, kinds = f"sqlite:///{tmp_path / 'other' / 'db.sqlite3'}", ("PostgreSQL", "SQLite")
    commands.append(([MASTHEAD, "restore", str(source.archive)], _env(tmp_path / "other", other),
                     f"holds a {kinds[0]} database but Masthead is configured for {kinds[1]}"))

    for done, (_, _, message) in zip(_run_all([c[:2] for c in commands]), commands, strict=True):
        _refused(done, message)
    for name, (target, var, _) in targets.items():
        # Nothing was written: no database, no media, no leftovers; no tables on PostgreSQL.
        assert not var.exists() or not any(var.iterdir()), name
        if target.vendor == "postgresql":
            assert _tables(target) == [], name
    assert not (tmp_path / "other").exists()


@pytest.mark.django_db
def test_backup_to_an_unwritable_place_fails_clearly_and_leaves_nothing(source, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    not_a_folder, exists = _run_all([
        ([MASTHEAD, "backup", "--output", str(blocker / "x.tar.gz")], source.env),
        ([MASTHEAD, "backup", "--output", str(source.archive)], source.env),
    ])
    _refused(not_a_folder, f"Cannot write a backup in {blocker}")
    _refused(exists, "already exists")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]
    assert sorted(p.name for p in source.archive.parent.iterdir()) == ["site.tar.gz"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_restore_over_a_site_with_content_needs_yes_and_keeps_what_it_replaced(source, tmp_path):
    target = source.db.copy(tmp_path)
    var = tmp_path / "var"
    shutil.copytree(source.media, var / "media")
    env = _env(var, target.url)
    target.query("DELETE FROM newsletter_consentevent RETURNING id")  # changed since the backup
    target.query("DELETE FROM newsletter_subscriber RETURNING id")
    (var / "media" / "since-the-backup.txt").write_text("new")
    before, media_before = _fingerprint(target), _media(var / "media")

    done = _run([MASTHEAD, "restore", str(source.archive)], env, ok=False)
    _refused(done, "Run again with --yes")
    assert "subscribers: 0" in done.stderr and "Nothing was changed" in done.stderr
    assert _fingerprint(target) == before and _media(var / "media") == media_before
    assert sorted(p.name for p in var.iterdir()) == ["media"]

    _run([MASTHEAD, "restore", str(source.archive), "--yes"], env)
    assert _fingerprint(target) == _fingerprint(source.db)
    assert _media(var / "media") == _media(source.media)
    [kept_media] = var.glob("media.replaced-*")
    assert _media(kept_media) == media_before
    if target.vendor == "sqlite":
        [kept] = Path(target.name).parent.glob(Path(target.name).name + ".replaced-*")
        assert _fingerprint(ScratchDB(f"sqlite:///{kept}", "sqlite", str(kept))) == before
    else:
        [kept] = (var / "backups").glob("masthead-backup-*-before-restore.tar.gz")
        assert _manifest(kept)["tables"]["newsletter_subscriber"]["rows"] == 0


@pytest.mark.postgres
@pytest.mark.django_db
def test_backup_taken_while_the_site_writes_restores_consistent(source, tmp_path):
    db = source.db.copy(tmp_path)
    env = _env(tmp_path / "var", db.url)
    stop, archive = tmp_path / "stop", tmp_path / "during.tar.gz"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(stop)], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert writer.stdout.readline().strip() == "writing"
        _run([MASTHEAD, "backup", "--output", str(archive)], env)
        in_backup = _manifest(archive)["tables"]["newsletter_subscriber"]["rows"]

        def written() -> int:
            return db.query("SELECT COUNT(*) FROM newsletter_subscriber")[0][0]

        deadline = time.monotonic() + 10
        while written() < in_backup + 20 and time.monotonic() < deadline:
            time.sleep(0.05)  # the writer carries on after the snapshot
    finally:
        stop.touch()
        output, _ = writer.communicate(timeout=30)
    assert writer.returncode == 0, output

    target, _, target_env = _empty_target(source, tmp_path)
    target_env["SECRET_KEY"] = "another-key"
    done = _run([MASTHEAD, "restore", str(archive)], target_env)  # verifies every table
    assert "every table's row count and checksum match" in done.stdout
    assert "SECRET_KEY is not the one the backup was made with" in done.stdout
    subscribers = target.query("SELECT COUNT(*) FROM newsletter_subscriber WHERE source = 'writer'")
    events = target.query("SELECT COUNT(*) FROM newsletter_consentevent WHERE source = 'writer'")
    assert 20 <= subscribers[0][0] == events[0][0]
    assert target.query("SELECT COUNT(*) FROM newsletter_subscriber")[0][0] == in_backup < written()


def test_checksums_read_sqlite_and_postgresql_values_alike():
    plus_one = timezone(timedelta(hours=1))
    same = [  # (kind, as SQLite returns it, as PostgreSQL returns it)
        ("datetime", "2026-11-01 08:00:00.5", datetime(2026, 11, 1, 9, 0, 0, 500000, plus_one)),
        ("datetime", "2026-11-01 08:00:00", datetime(2026, 11, 1, 8, tzinfo=UTC)),
        ("bool", 1, True),
        ("json", '{"b": [1.5, "é"], "a": null}', {"a": None, "b": [1.5, "é"]}),
        ("uuid", "0123456789abcdef0123456789abcdef",
         uuid.UUID("01234567-89ab-cdef-0123-456789abcdef")),
        ("decimal", 1.5, Decimal("1.50")),
        ("duration", 90_000_000, timedelta(seconds=90)),
        ("date", "2026-11-01", date(2026, 11, 1)),
        ("bytes", b"\x00\xff", memoryview(b"\x00\xff")),
    ]
    for kind, sqlite_value, postgres_value in same:
        assert canonical_value(kind, sqlite_value) == canonical_value(kind, postgres_value), kind
    assert canonical_value("datetime", "2026-11-01 08:00:00") != canonical_value(
        "datetime", datetime(2026, 11, 1, 8, tzinfo=plus_one))
    assert canonical_value("bool", 0) != canonical_value("bool", True)
