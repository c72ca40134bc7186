"""Backups: one archive with the database, the media files and a manifest to check them against.

An archive (`masthead-backup-<UTC time>.tar.gz`, by default in VAR_DIR/backups) holds, in order:

* `database.sqlite3`, made with SQLite's online backup API: a consistent snapshot even while the
  site and the worker write (never a file copy of a live WAL database); or `database.pgdump`,
  `pg_dump --format=custom` of the configured PostgreSQL database;
* `media/...`: every file in MEDIA_ROOT, originals and renditions alike (rendition rows are in
  the database and their URLs are in the pre-rendered articles, so they are kept, not regenerated);
* `manifest.json`, last, so a truncated archive always lacks it: versions, the database vendor,
  the applied migrations, each table's row count and checksum, each media file's sha256.

Table checksums do not depend on the database: sha256 over the rows in primary-key order (text
keys in code-point order), each value normalised by its Django field type (UTC datetimes,
canonical JSON, plain decimals, UUIDs as hex). They are computed from the very snapshot that is
archived: the SQLite copy, or the PostgreSQL transaction whose snapshot pg_dump is given.

A restore checks everything before it replaces anything: SQLite is verified on the unpacked copy,
which is then renamed into place; PostgreSQL is restored and verified in one transaction that is
rolled back on any difference. Restoring across vendors is not supported.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import io
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from glob import glob
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

import psycopg
from django.apps import apps
from django.conf import settings
from django.core import signing
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils.dateparse import parse_datetime, parse_time

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media/"
REQUIRED = {"format", "database", "tables", "media", "migrations", "masthead_version"}
DATABASE_FILE = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
VENDOR_NAME = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
CHUNK = 1 << 20
Progress = Callable[..., Iterable]  # progress(items, total=, desc=) -> items, e.g. tqdm


class BackupError(Exception):
    """A backup, check or restore that cannot go ahead; the message says why and what to do."""


def _no_progress(items: Iterable, **_: Any) -> Iterable:
    return items


def _plain_errors(func):
    """Database failures become BackupErrors, which the commands print without a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (DatabaseError, psycopg.Error, sqlite3.Error) as exc:
            raise BackupError(f"The database could not be used: {str(exc).strip()}") from exc

    return wrapper


@dataclass
class Outcome:
    """What `backup_create`, `backup_verify` or `backup_restore` did, for the command to print."""

    archive: Path
    manifest: dict
    tables_verified: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t["rows"] for t in self.manifest["tables"].values())


# --- Table checksums ------------------------------------------------------------------------

_KINDS = {
    "BooleanField": "bool", "NullBooleanField": "bool", "DateTimeField": "datetime",
    "DateField": "date", "TimeField": "time", "DecimalField": "decimal", "FloatField": "float",
    "DurationField": "duration", "UUIDField": "uuid", "JSONField": "json", "BinaryField": "bytes",
}


def _kind(f) -> str:
    while f.is_relation and f.concrete:  # a foreign key is stored like the key it points to
        f = f.target_field
    internal = f.get_internal_type()
    return "int" if internal.endswith(("AutoField", "IntegerField")) else _KINDS.get(internal, "text")


def _table_specs(existing: set[str]) -> dict[str, dict]:
    """Every model table (and django_migrations) present in the database: key and typed columns."""
    specs: dict[str, dict] = {}
    for model in [*apps.get_models(include_auto_created=True), MigrationRecorder.Migration]:
        opts = model._meta
        if opts.proxy or opts.db_table in specs or opts.db_table not in existing:
            continue
        specs[opts.db_table] = {"pk": opts.pk.column,
                                "columns": [[f.column, _kind(f)] for f in opts.local_concrete_fields]}
    return dict(sorted(specs.items()))


def canonical_value(kind: str, v: Any) -> Any:
    """One stored value in a form that is the same whichever database returned it."""
    if v is None or kind == "text":
        return v if v is None or isinstance(v, str) else str(v)
    if kind in ("int", "bool"):
        return int(v) if kind == "int" else bool(v)
    if kind == "datetime":
        v = parse_datetime(v) if isinstance(v, str) else v
        v = v if v.tzinfo else v.replace(tzinfo=UTC)  # SQLite keeps UTC without an offset
        return v.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    if kind == "date":
        return v if isinstance(v, str) else v.isoformat()
    if kind == "time":
        return (parse_time(v) if isinstance(v, str) else v).isoformat(timespec="microseconds")
    if kind == "decimal":
        return format(Decimal(str(v)).normalize(), "f")
    if kind == "float":
        return repr(float(v))
    if kind == "duration":
        return v // timedelta(microseconds=1) if isinstance(v, timedelta) else int(v)
    if kind == "uuid":
        return uuid.UUID(str(v)).hex
    if kind == "json":
        v = json.loads(v) if isinstance(v, str | bytes) else v
        return json.dumps(v, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return bytes(v).hex()  # bytes


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rows(conn, vendor: str, sql: str) -> Iterator[tuple]:
    # PostgreSQL: a server-side cursor, so a large table is never held in memory at once.
    cursor = conn.cursor() if vendor == "sqlite" else conn.cursor(name=f"backup_{uuid.uuid4().hex}")
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(2000):
            yield from batch
    finally:
        cursor.close()


def table_checksums(conn, vendor: str, specs: dict[str, dict]) -> dict[str, dict]:
    """Row count and sha256 of each table in `specs`, read through a DB-API connection."""
    result = {}
    for table, spec in specs.items():
        kinds = [k for _, k in spec["columns"]]
        pk_kind = dict(spec["columns"])[spec["pk"]]
        collate = ' COLLATE "C"' if vendor == "postgresql" and pk_kind == "text" else ""
        sql = (f"SELECT {', '.join(_quote(c) for c, _ in spec['columns'])} FROM {_quote(table)} "
               f"ORDER BY {_quote(spec['pk'])}{collate}")
        digest, count = hashlib.sha256(), 0
        for row in _rows(conn, vendor, sql):
            values = [canonical_value(k, v) for k, v in zip(kinds, row, strict=True)]
            digest.update(json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode())
            digest.update(b"\n")
            count += 1
        result[table] = {**spec, "rows": count, "sha256": digest.hexdigest()}
    return result


def _compare_tables(expected: dict[str, dict], found: dict[str, dict]) -> list[str]:
    problems = []
    for table, want in expected.items():
        got = found[table]
        if got["rows"] != want["rows"]:
            problems.append(f"table {table}: {got['rows']} rows, the manifest says {want['rows']}")
        elif got["sha256"] != want["sha256"]:
            problems.append(f"table {table}: the rows differ from the manifest's checksum")
    return problems


# --- Writing an archive ---------------------------------------------------------------------

class _Hashing:
    """A file object that hashes what tarfile reads from it."""

    def __init__(self, f):
        self.f, self.sha = f, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.f.read(size)
        self.sha.update(data)
        return data


def _add_file(tar: tarfile.TarFile, path: Path, arcname: str) -> dict:
    with path.open("rb") as f:
        info = tar.gettarinfo(arcname=arcname, fileobj=f)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        hashing = _Hashing(f)
        tar.addfile(info, hashing)
    return {"sha256": hashing.sha.hexdigest(), "bytes": info.size}


def _output_path(output: str | None, stamp: str) -> Path:
    name = f"masthead-backup-{stamp}.tar.gz"
    if not output:
        return Path(settings.VAR_DIR) / "backups" / name
    return Path(output, name) if output.endswith("/") or Path(output).is_dir() else Path(output)


@_plain_errors
def backup_create(*, output: str | None = None, label: str = "",
                  progress: Progress = _no_progress) -> Outcome:
    """Write one archive of the configured database and MEDIA_ROOT; temp name, then renamed.

    `output` is a file name or a folder (default VAR_DIR/backups); an existing file is refused.
    """
    vendor = connection.vendor
    if vendor not in DATABASE_FILE:
        raise BackupError(f"Backups cover SQLite and PostgreSQL, not {vendor}.")
    now = datetime.now(UTC)
    target = _output_path(output, now.strftime("%Y%m%dT%H%M%SZ") + label)
    if target.exists():
        raise BackupError(f"{target} already exists; choose another name with --output.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".masthead-backup-", suffix=".part")
    except OSError as exc:
        raise BackupError(f"Cannot write a backup in {target.parent}: {exc.strerror}. "
                          "Choose another place with --output.") from exc
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
                manifest = _write_members(tar, vendor, target.parent, now, progress,
                                          skip={Path(tmp).resolve()})
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except OSError as exc:
        raise BackupError(f"Could not write {target}: {exc}. Nothing was kept.") from exc
    finally:
        Path(tmp).unlink(missing_ok=True)
    return Outcome(target, manifest)


def _write_members(tar, vendor: str, workdir: Path, now: datetime, progress: Progress,
                   skip: set[Path]) -> dict:
    manifest: dict[str, Any] = {
        "format": FORMAT, "created_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "masthead_version": _version("masthead"), "django_version": _version("django"),
        "wagtail_version": _version("wagtail"), "python_version": platform.python_version(),
        "secret_key_check": _secret_key_check(),
    }
    dump = _dump_sqlite(workdir) if vendor == "sqlite" else _dump_postgres(workdir)
    try:
        member = DATABASE_FILE[vendor]
        manifest["database"] = {"vendor": vendor, "file": member, "server_version": dump.version,
                                **_add_file(tar, dump.path, member)}
    finally:
        dump.path.unlink(missing_ok=True)
    manifest["migrations"], manifest["tables"] = dump.migrations, dump.tables
    manifest["media"] = {}
    root = Path(settings.MEDIA_ROOT)
    files = [p for p in _media_files(root) if p.resolve() not in skip]
    for path in progress(files, total=len(files), desc="media files"):
        rel = path.relative_to(root).as_posix()
        with contextlib.suppress(FileNotFoundError):  # deleted since the database snapshot
            manifest["media"][rel] = _add_file(tar, path, MEDIA + rel)
    body = json.dumps(manifest, indent=1, sort_keys=True).encode()
    info = tarfile.TarInfo(MANIFEST)
    info.size, info.mtime, info.mode = len(body), int(now.timestamp()), 0o644
    tar.addfile(info, io.BytesIO(body))
    return manifest


def _media_files(root: Path) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        found += [Path(dirpath, n) for n in sorted(filenames) if Path(dirpath, n).is_file()]
    return found


@dataclass
class _Dump:
    path: Path
    version: str
    tables: dict
    migrations: list


def _migrations_of(cursor, tables: dict) -> list[list[str]]:
    if "django_migrations" not in tables:
        return []
    cursor.execute("SELECT app, name FROM django_migrations")
    return sorted([app, name] for app, name in cursor.fetchall())


def _dump_sqlite(workdir: Path) -> _Dump:
    source = Path(connection.settings_dict["NAME"])
    if not source.is_file():
        raise BackupError(f"There is no SQLite database at {source} to back up.")
    fd, name = tempfile.mkstemp(dir=workdir, prefix=".masthead-db-", suffix=".sqlite3")
    os.close(fd)
    try:
        src = sqlite3.connect(source, timeout=30)
        dst = sqlite3.connect(name)
        with contextlib.closing(src), contextlib.closing(dst):
            src.backup(dst)  # one step, so one consistent snapshot; writers carry on (WAL)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            existing = {r[0] for r in dst.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            tables = table_checksums(dst, "sqlite", _table_specs(existing))
            migrations = _migrations_of(dst.cursor(), tables)
        return _Dump(Path(name), sqlite3.sqlite_version, tables, migrations)
    except sqlite3.Error as exc:
        Path(name).unlink(missing_ok=True)
        raise BackupError(f"Could not read the SQLite database {source}: {exc}") from exc


def _dump_postgres(workdir: Path) -> _Dump:
    pg_dump = _pg_tool("pg_dump")
    fd, name = tempfile.mkstemp(dir=workdir, prefix=".masthead-db-", suffix=".pgdump")
    os.close(fd)
    try:
        # pg_dump and the checksums read the same snapshot, exported by this transaction.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot(), split_part(version(), ' ', 2)")
                snapshot, version = cursor.fetchone()
            _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={name}"],
                 "pg_dump")
            existing = set(connection.introspection.table_names())
            tables = table_checksums(connection.connection, "postgresql", _table_specs(existing))
            with connection.cursor() as cursor:
                migrations = _migrations_of(cursor, tables)
        return _Dump(Path(name), version, tables, migrations)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


# --- PostgreSQL tools -----------------------------------------------------------------------

def _pg_tool(name: str) -> str:
    """The pg_dump / pg_restore matching the server's major version, else the nearest newer one
    (with no server to match, as when checking an archive on SQLite: the newest installed)."""
    major = connection.pg_version // 10000 if connection.vendor == "postgresql" else 0
    found = {int(p.split("/")[4]): p for p in glob(f"/usr/lib/postgresql/*/bin/{name}")}
    if newer := sorted(v for v in found if v >= major):
        return found[newer[0] if major else newer[-1]]
    if not found and (on_path := shutil.which(name)):
        return on_path
    wanted = f" for PostgreSQL {major}" if major else ""
    raise BackupError(f"{name}{wanted} is not installed (Debian: apt-get install "
                      f"postgresql-client{f'-{major}' if major else ''}).")


def _pg_env() -> dict[str, str]:
    s, env = connection.settings_dict, dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                     ("PASSWORD", "PGPASSWORD"), ("NAME", "PGDATABASE")):
        if s.get(key):
            env[var] = str(s[key])
    for option in ("sslmode", "sslrootcert", "sslcert", "sslkey", "passfile", "service"):
        if s.get("OPTIONS", {}).get(option):
            env[f"PG{option.upper()}"] = str(s["OPTIONS"][option])
    return env


def _run(command: list[str], what: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, env=_pg_env(), check=False)
    if done.returncode:
        raise BackupError(f"{what} failed: {done.stderr.strip()[-1000:]}")
    return done.stdout


# --- Reading an archive ---------------------------------------------------------------------

def _safe_member(member: tarfile.TarInfo) -> bool:
    path = PurePosixPath(member.name)
    return member.isfile() and not path.is_absolute() and ".." not in path.parts


def _copy_out(src, dest: Path | None) -> str:
    sha = hashlib.sha256()
    with contextlib.ExitStack() as stack:
        out = None
        if dest is not None:
            dest.parent.mkdir(parents=True, exist_ok=True)
            out = stack.enter_context(dest.open("wb"))
        while chunk := src.read(CHUNK):
            sha.update(chunk)
            if out:
                out.write(chunk)
        if out:
            out.flush()
            os.fsync(out.fileno())
    return sha.hexdigest()


def _unpack(archive: Path, *, db_dir: Path, media_dir: Path | None,
            progress: Progress) -> tuple[dict, Path]:
    """Unpack the database to db_dir and the media to media_dir (None: only hash them), then
    check every file against the manifest. Raises BackupError on any difference."""
    hashes: dict[str, str] = {}
    manifest = None
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in progress(tar, total=None, desc="reading archive"):
                name = member.name
                src = tar.extractfile(member) if _safe_member(member) else None
                if src and name == MANIFEST:
                    manifest = _parse_manifest(src.read(), archive)
                elif src and name in DATABASE_FILE.values():
                    hashes[name] = _copy_out(src, db_dir / name)
                elif src and name.startswith(MEDIA) and name != MEDIA:
                    rel = name[len(MEDIA):]
                    hashes[name] = _copy_out(src, media_dir / rel if media_dir else None)
                else:
                    raise BackupError(f"{archive} has an unexpected entry {name!r}; it is not a "
                                      "Masthead backup. Nothing was restored.")
            while tar.fileobj.read(CHUNK):  # read to the end, so gzip checks its trailer
                pass
    except FileNotFoundError as exc:
        raise BackupError(f"There is no file {archive}.") from exc
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise BackupError(f"{archive} is damaged or incomplete ({exc}). Nothing was restored; "
                          "use another backup.") from exc
    except OSError as exc:
        raise BackupError(f"Could not unpack {archive}: {exc}. Nothing was restored.") from exc
    if manifest is None:
        raise BackupError(f"{archive} has no manifest: it is incomplete (cut short?) or not a "
                          "Masthead backup. Nothing was restored; use another backup.")
    if problems := _check_files(manifest, hashes):
        raise _failed(archive, problems)
    return manifest, db_dir / manifest["database"]["file"]


def _parse_manifest(data: bytes, archive: Path) -> dict:
    try:
        manifest = json.loads(data)
    except ValueError:
        manifest = None
    if not isinstance(manifest, dict) or not REQUIRED <= manifest.keys():
        raise BackupError(f"The manifest in {archive} is unreadable; it cannot be trusted.")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} is in backup format {manifest.get('format')}; this "
                          f"Masthead reads format {FORMAT}.")
    return manifest


def _check_files(manifest: dict, hashes: dict[str, str]) -> list[str]:
    expected = {MEDIA + rel: entry["sha256"] for rel, entry in manifest["media"].items()}
    expected[manifest["database"]["file"]] = manifest["database"]["sha256"]
    problems = [f"missing from the archive: {name}" for name in expected if name not in hashes]
    problems += [f"does not match its checksum: {name}" for name, sha in expected.items()
                 if name in hashes and hashes[name] != sha]
    problems += [f"not in the manifest: {name}" for name in hashes if name not in expected]
    return problems


def _failed(archive: Path, problems: list[str]) -> BackupError:
    shown = "\n  - ".join(problems[:20]) + ("\n  - ..." if len(problems) > 20 else "")
    return BackupError(f"{archive} failed verification; nothing was restored:\n  - {shown}")


def _check_sqlite_copy(path: Path, manifest: dict, archive: Path) -> None:
    try:
        with contextlib.closing(sqlite3.connect(_read_only(path), uri=True)) as conn:
            if (ok := conn.execute("PRAGMA quick_check").fetchone()[0]) != "ok":
                raise _failed(archive, [f"the database copy is damaged: {ok}"])
            found = table_checksums(conn, "sqlite", manifest["tables"])
    except sqlite3.Error as exc:
        raise _failed(archive, [f"the database copy cannot be read: {exc}"]) from exc
    if problems := _compare_tables(manifest["tables"], found):
        raise _failed(archive, problems)


@_plain_errors
def backup_verify(*, archive: Path, progress: Progress = _no_progress) -> Outcome:
    """Check an archive without restoring it: every file's sha256, and for SQLite every table."""
    with tempfile.TemporaryDirectory(prefix="masthead-verify-") as tmp:
        manifest, db_file = _unpack(archive, db_dir=Path(tmp), media_dir=None, progress=progress)
        outcome = Outcome(archive, manifest)
        if manifest["database"]["vendor"] == "sqlite":
            _check_sqlite_copy(db_file, manifest, archive)
            outcome.tables_verified = True
        else:
            _run([_pg_tool("pg_restore"), "--list", str(db_file)], "pg_restore --list")
            outcome.notes.append("The PostgreSQL dump is readable; its tables are checked row by "
                                 "row when it is restored (restore verifies before it commits).")
    return outcome


# --- Restoring ------------------------------------------------------------------------------

@_plain_errors
def backup_restore(*, archive: Path, replace: bool = False,
                   progress: Progress = _no_progress) -> Outcome:
    """Restore `archive` into the configured database and MEDIA_ROOT, verified before it commits.

    Refuses a database or media folder that has anything in it unless `replace`; what is
    replaced is kept (SQLite file and media folder renamed aside, PostgreSQL backed up first).
    """
    vendor, archived = connection.vendor, _archive_vendor(archive)
    if archived != vendor:
        raise BackupError(
            f"{archive} holds a {VENDOR_NAME.get(archived, archived)} database but Masthead is "
            f"configured for {VENDOR_NAME.get(vendor, vendor)}. Restore it into the same kind of "
            "database (set DATABASE_URL); moving between SQLite and PostgreSQL is not supported.")
    media_root = Path(settings.MEDIA_ROOT)
    _refuse_unless_empty(vendor, media_root, replace)
    if vendor == "sqlite":
        _sqlite_claim(Path(connection.settings_dict["NAME"]))
    db_parent = Path(connection.settings_dict["NAME"]).parent if vendor == "sqlite" else None
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(
            prefix=".masthead-restore-", dir=_mkdir(db_parent) if db_parent else None)))
        media_tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(
            prefix=".masthead-media-restore-", dir=_mkdir(media_root.parent)))) / "media"
        manifest, db_file = _unpack(archive, db_dir=work, media_dir=media_tmp, progress=progress)
        outcome = Outcome(archive, manifest, tables_verified=True)
        _check_migrations(manifest, outcome)
        if manifest.get("secret_key_check", _secret_key_check()) != _secret_key_check():
            outcome.notes.append(
                "This site's SECRET_KEY is not the one the backup was made with: unsubscribe "
                "links in newsletters already sent will not work until the old key is put back "
                "(VAR_DIR/secret_key or SECRET_KEY; see docs/operations.md).")
        if vendor == "sqlite":
            _check_sqlite_copy(db_file, manifest, archive)
            _sqlite_put_in_place(db_file, outcome)
        else:
            if replace and _pg_tables():
                before = backup_create(label="-before-restore")
                outcome.notes.append(f"The database it replaced is backed up in {before.archive}.")
            _pg_restore(db_file, manifest, archive, replace)
        _media_put_in_place(media_tmp, media_root, outcome)
    return outcome


def _mkdir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"Cannot create {path}: {exc.strerror}.") from exc
    return path


def _archive_vendor(archive: Path) -> str:
    """The vendor, from the first entry (the database), without reading the whole archive."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            first = tar.next()
    except FileNotFoundError as exc:
        raise BackupError(f"There is no file {archive}.") from exc
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise BackupError(f"{archive} is damaged or not a Masthead backup ({exc}).") from exc
    by_file = {v: k for k, v in DATABASE_FILE.items()}
    if first is None or first.name not in by_file:
        raise BackupError(f"{archive} is not a Masthead backup (it does not start with a database).")
    return by_file[first.name]


def _refuse_unless_empty(vendor: str, media_root: Path, replace: bool) -> None:
    held = _sqlite_contents() if vendor == "sqlite" else _pg_contents()
    media = sum(1 for _ in _media_files(media_root)) if media_root.is_dir() else 0
    if media:
        held.append(f"{media} media files in {media_root}")
    if held and not replace:
        raise BackupError(
            "The site is not empty: " + "; ".join(held) + ". A restore replaces all of it. "
            "Run again with --yes to go ahead: what is there now is kept aside (see "
            "docs/operations.md). Nothing was changed.")


def _summary(count: Callable[[str], int], tables: set[str]) -> str:
    wanted = {"editorial_articlepage": "articles", "briefs_brief": "briefs",
              "newsletter_subscriber": "subscribers"}
    return ", ".join(f"{label}: {count(t)}" for t, label in wanted.items() if t in tables)


def _sqlite_contents() -> list[str]:
    path = Path(connection.settings_dict["NAME"])
    if not path.exists() or path.stat().st_size == 0:
        return []
    try:
        with contextlib.closing(sqlite3.connect(path, timeout=20)) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not tables:
                return []
            counts = _summary(lambda t: conn.execute(f"SELECT COUNT(*) FROM {_quote(t)}")
                              .fetchone()[0], tables)
    except sqlite3.Error as exc:
        return [f"the database {path} exists but cannot be read ({exc})"]
    return [f"the database {path} has {len(tables)} tables" + (f" ({counts})" if counts else "")]


def _pg_tables() -> set[str]:
    return set(connection.introspection.table_names())


def _pg_contents() -> list[str]:
    tables = _pg_tables()
    if not tables:
        return []

    def count(table: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")
            return cursor.fetchone()[0]

    counts = _summary(count, tables)
    name = connection.settings_dict["NAME"]
    return [f"the database {name} has {len(tables)} tables" + (f" ({counts})" if counts else "")]


def _check_migrations(manifest: dict, outcome: Outcome) -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    known |= {r for m in loader.disk_migrations.values() for r in m.replaces}
    archived = {tuple(m) for m in manifest["migrations"]}
    if unknown := sorted(archived - known):
        raise BackupError(
            f"{outcome.archive} was made by a newer Masthead ({manifest['masthead_version']}; "
            f"migrations this one does not know: {', '.join('.'.join(m) for m in unknown[:5])}). "
            "Install that version or later, then restore. Nothing was changed.")
    if pending := [m for m, migration in loader.disk_migrations.items() if m not in archived
                   and not (migration.replaces and set(migration.replaces) <= archived)]:
        outcome.notes.append(f"This Masthead has {len(pending)} migrations newer than the backup: "
                             "run `masthead migrate` before starting the site.")


def _aside(path: Path, stamp: str) -> Path | None:
    if not path.exists():
        return None
    kept = path.with_name(f"{path.name}.replaced-{stamp}")
    os.replace(path, kept)
    return kept


def _sqlite_put_in_place(copy: Path, outcome: Outcome) -> None:
    target = Path(connection.settings_dict["NAME"])
    _sqlite_claim(target)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if kept := _aside(target, stamp):
        outcome.notes.append(f"The database it replaced is kept as {kept}.")
    for sidecar in ("-wal", "-shm", "-journal"):  # a stale WAL would be replayed into the copy
        _aside(target.with_name(target.name + sidecar), stamp)
    os.replace(copy, target)
    _fsync_dir(target.parent)


def _sqlite_claim(target: Path) -> None:
    """Refuse if another process has the database open; fold its WAL into the file."""
    if not target.exists() or not target.stat().st_size:
        return
    conn = sqlite3.connect(target, timeout=2, isolation_level=None)
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise BackupError(f"The database {target} is in use by another process: stop the "
                              "site and the worker first. Nothing was changed.") from exc
    except sqlite3.DatabaseError:
        pass  # not a database any more (which may be why it is being restored): replace it
    finally:
        conn.close()


def _pg_restore(dump: Path, manifest: dict, archive: Path, replace: bool) -> None:
    """pg_restore's script and the verification in one transaction: all of it or nothing."""
    command = [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(dump)]
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=_pg_env(),
                                text=True, encoding="utf-8")
        try:
            connection.ensure_connection()
            with transaction.atomic(), connection.connection.cursor() as cursor:
                if replace:
                    _pg_drop_all(cursor)
                _pg_execute_script(cursor, proc.stdout)
                if proc.wait():
                    errors.seek(0)
                    raise BackupError(f"pg_restore failed: {errors.read().decode()[-1000:]}")
                cursor.execute("RESET search_path")
                found = table_checksums(connection.connection, "postgresql", manifest["tables"])
                if problems := _compare_tables(manifest["tables"], found):
                    raise _failed(archive, problems)
        except (DatabaseError, psycopg.Error) as exc:
            raise BackupError(f"The restore stopped and was rolled back; nothing was changed: "
                              f"{exc}") from exc
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            connection.close()  # the script changed session settings


def _pg_drop_all(cursor) -> None:
    """Drop every table, view and sequence in the current schema (inside the restore's transaction)."""
    for kinds, what in ((("r", "p", "f"), "TABLE"), (("v",), "VIEW"), (("m",), "MATERIALIZED VIEW"),
                        (("S",), "SEQUENCE")):  # a table takes its views and own sequences along
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = ANY(%s)", [list(kinds)])
        if names := [_quote(name) for (name,) in cursor.fetchall()]:
            cursor.execute(f"DROP {what} IF EXISTS {', '.join(names)} CASCADE")


def _pg_execute_script(cursor, lines: Iterator[str]) -> None:
    """Run pg_restore's plain-SQL output: statements as they come, COPY data through COPY."""
    statements: list[str] = []
    for line in lines:
        if line.startswith("COPY ") and line.rstrip().endswith("FROM stdin;"):
            if statements:
                cursor.execute("".join(statements))
                statements = []
            with cursor.copy(line.rstrip()[:-1]) as copy:
                for data in lines:
                    if data == "\\.\n":
                        break
                    copy.write(data)
        elif line.startswith("\\"):
            if line.split()[0] not in ("\\restrict", "\\unrestrict"):  # psql-only guards
                raise BackupError(f"Unexpected psql command in the dump: {line[:60]!r}")
        else:
            statements.append(line)
    if statements:
        cursor.execute("".join(statements))


def _media_put_in_place(unpacked: Path, media_root: Path, outcome: Outcome) -> None:
    unpacked.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if media_root.is_dir() and not any(media_root.iterdir()):
        media_root.rmdir()
    elif kept := _aside(media_root, stamp):
        outcome.notes.append(f"The media folder it replaced is kept as {kept}.")
    os.replace(unpacked, media_root)
    _fsync_dir(media_root.parent)


def _read_only(path: Path) -> str:
    return path.resolve().as_uri() + "?mode=ro"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _secret_key_check() -> str:
    """Tells whether two sites share a SECRET_KEY, without revealing it (an HMAC of a constant).

    Unsubscribe links in newsletters already sent are signed with the key: a restored site must
    keep the old one for them to work.
    """
    return signing.Signer(salt="masthead.core.backup").signature("secret-key-check")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
