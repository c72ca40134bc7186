"""`masthead backup`: one archive with the database, the media files and a manifest.

    masthead backup [--output FILE_OR_FOLDER]     (default VAR_DIR/backups/)
    masthead backup --verify ARCHIVE              check an archive without restoring it

See docs/operations.md and masthead/core/backup.py.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from masthead.core.backup import BackupError, Outcome, backup_create, backup_verify


def progress(items, *, total, desc):
    return tqdm(items, total=total, desc=desc, unit=" files", disable=None)  # only on a terminal


class Command(BaseCommand):
    help = "Write one backup archive (database, media files, manifest), or check one with --verify."
    requires_system_checks = []  # a backup must run even when a system check fails

    def add_arguments(self, parser):
        parser.add_argument("--output", metavar="PATH",
                            help="archive file name, or a folder for it (default VAR_DIR/backups/)")
        parser.add_argument("--verify", metavar="ARCHIVE", type=Path,
                            help="check an archive against its manifest; restores nothing")

    def handle(self, *args, output=None, verify=None, **options):
        try:
            if verify:
                outcome = backup_verify(archive=verify, progress=progress)
            else:
                outcome = backup_create(output=output, progress=progress)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(describe(outcome, "Verified" if verify else "Backed up"))


def describe(outcome: Outcome, verb: str) -> str:
    """What an outcome holds, in a few lines for the terminal."""
    m = outcome.manifest
    media_bytes = sum(f["bytes"] for f in m["media"].values())
    lines = [
        f"{verb} {outcome.archive}",
        f"  made {m['created_at']} by Masthead {m['masthead_version']} "
        f"({m['database']['vendor']} {m['database']['server_version']})",
        f"  database: {len(m['tables'])} tables, {outcome.rows:,} rows"
        + (", every table's row count and checksum match" if outcome.tables_verified else ""),
        f"  media: {len(m['media']):,} files, {media_bytes / 1e6:,.1f} MB"
        + (", every file's sha256 matches" if verb != "Backed up" else ""),
    ]
    return "\n".join(lines + [f"  {note}" for note in outcome.notes])
