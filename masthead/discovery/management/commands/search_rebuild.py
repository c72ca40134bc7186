"""`masthead search-rebuild`: index every live article and brief for reader search.

    masthead search-rebuild [--batch-size 1000] [--force]

Needed after bulk writes that bypass publishing's signals (`masthead seed`, imports) or after
restoring a database; safe at any time, alongside a running site and worker. Each batch is its
own transaction, so readers keep complete results and publishing is never held up for long.
Items whose entry is unchanged are skipped (--force rewrites them); entries of items that are
no longer live are removed at the end.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from masthead.discovery.search import services


class Command(BaseCommand):
    help = "Index every live article and brief for reader search (with a progress bar)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="Items per transaction.")
        parser.add_argument("--force", action="store_true",
                            help="Rewrite every entry, even unchanged ones.")

    def handle(self, *args, batch_size, force, verbosity, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        started = time.monotonic()
        with tqdm(total=services.live_count(), unit=" items", desc="search index",
                  disable=verbosity < 1) as bar:
            report = services.index_rebuild(batch_size=batch_size, force=force,
                                            progress=bar.update)
        if verbosity:
            elapsed = time.monotonic() - started
            self.stdout.write(
                f"Indexed {report.items:,} items in {elapsed:.1f} s "
                f"({report.written:,} written, {report.items - report.written:,} unchanged, "
                f"{report.removed:,} stale entries removed)."
            )
