"""`masthead restore ARCHIVE`: put a backup back, verified before anything is replaced.

    masthead restore ARCHIVE            into an empty database and media folder
    masthead restore ARCHIVE --yes      replace what is there (kept aside; docs/operations.md)
    masthead restore --check ARCHIVE    check an archive without restoring it

Stop the site and the worker first.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from masthead.core.backup import BackupError, backup_restore, backup_verify
from masthead.core.management.commands.backup import describe, progress


class Command(BaseCommand):
    help = "Restore a backup archive into the configured database and media folder."
    requires_system_checks = []  # must not open (and so create) the database before restoring

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="a masthead-backup-*.tar.gz file")
        parser.add_argument("--yes", action="store_true",
                            help="replace a database or media folder that is not empty")
        parser.add_argument("--check", action="store_true",
                            help="only check the archive against its manifest; restore nothing")

    def handle(self, *args, archive, yes=False, check=False, **options):
        try:
            if check:
                outcome = backup_verify(archive=archive, progress=progress)
            else:
                outcome = backup_restore(archive=archive, replace=yes, progress=progress)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(describe(outcome, "Verified" if check else "Restored"))
