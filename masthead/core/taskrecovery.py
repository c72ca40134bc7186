"""Tasks a killed worker left "running": put them back in the queue.

The database task queue marks a task RUNNING when a worker takes it and has no lease: if that
worker is killed (SIGKILL, power loss) the task stays RUNNING forever and is never run, so a
purge, a search-index update or a confirmation email would be lost. Masthead's tasks take ids,
re-read and are safe to run twice, so re-queueing is always safe:

* when `masthead worker` starts, every RUNNING task is an orphan (one worker per site:
  docs/deploy.md), unless WORKER_REQUEUE_ON_START is off (several workers);
* the worker's clock re-queues RUNNING tasks started more than TASK_STALE_SECONDS ago.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


def uses_database_queue() -> bool:
    return settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"


def requeue_orphans(*, started_before=None) -> int:
    """Put RUNNING tasks (started before `started_before`, if given) back to READY."""
    if not uses_database_queue():
        return 0
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    if started_before is not None:
        running = running.filter(started_at__lt=started_before)
    count = running.update(status=TaskResultStatus.READY, started_at=None)
    if count:
        logger.warning("re-queued %d task(s) a stopped worker left running", count)
    return count


def requeue_stale() -> int:
    cutoff = timezone.now() - timedelta(seconds=settings.TASK_STALE_SECONDS)
    return requeue_orphans(started_before=cutoff)
