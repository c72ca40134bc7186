"""`masthead worker`: runs queued tasks and the clock (scheduled publishing). No cron needed."""

import logging
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from masthead.core import taskrecovery
from masthead.editorial.services import article_records_repair
from masthead.newsletter import clock as newsletter_clock

logger = logging.getLogger("masthead.worker")
# How often the clock looks for article records a crash left out of step (first on its first tick).
REPAIR_EVERY = 60.0


def clock(interval: float, stop: threading.Event) -> None:
    """Every `interval` seconds: publish and expire what editors scheduled."""
    next_repair = 0.0
    while not stop.wait(interval):
        try:
            call_command("publish_scheduled", verbosity=0)
        except Exception:  # keep the clock alive; the error is logged with its traceback
            logger.exception("scheduled publishing failed")
        if time.monotonic() >= next_repair:
            next_repair = time.monotonic() + REPAIR_EVERY
            try:
                article_records_repair()
            except Exception:
                logger.exception("repairing article records failed")
            try:
                taskrecovery.requeue_stale()
            except Exception:
                logger.exception("re-queueing stale tasks failed")
        try:
            newsletter_clock.tick()  # draft, start scheduled and recover round-up sends
        except Exception:
            logger.exception("newsletter clock failed")
        finally:
            close_old_connections()


class Command(BaseCommand):
    help = "Run background tasks and scheduled publishing until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=settings.SCHEDULER_INTERVAL)
        parser.add_argument("--once", action="store_true",
                            help="Publish what is due and run queued tasks once, then exit.")

    def handle(self, *args, interval, once, **options):
        if once:
            call_command("publish_scheduled", verbosity=0)
            article_records_repair()
            if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
                call_command("db_worker", batch=True, verbosity=0, startup_delay=False)
            return
        if settings.WORKER_REQUEUE_ON_START:
            taskrecovery.requeue_orphans()  # what a killed worker left running
        stop = threading.Event()
        thread = threading.Thread(target=clock, args=(interval, stop), daemon=True)
        thread.start()
        self.stdout.write(f"Worker running (scheduled publishing every {interval:g}s). Ctrl-C stops.")
        try:
            call_command("db_worker", queue_name="*", interval=settings.WORKER_POLL_INTERVAL,
                         reload=False, verbosity=1)
        finally:
            stop.set()
            time.sleep(0)
