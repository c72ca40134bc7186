"""A task a killed worker left "running" is run again (issue 6: nothing lost).

The database queue has no lease: without recovery, a purge taken by a worker that was then
SIGKILLed would never reach Varnish. Real parts: the database task backend, the real db_worker
command and a loopback HTTP server answering PURGE like the VCL.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from masthead.core import taskrecovery
from masthead.edge import tasks
from tests.edge.purge_recorder import PurgeRecorder

# SQLite session only: the in-process db_worker closes the test's database connection when it
# finishes, which PostgreSQL's test transaction does not survive; the recovery is plain ORM.
pytestmark = pytest.mark.django_db


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with PurgeRecorder() as node:
        settings.VARNISH_URLS = [node.url]
        yield node


def _taken_by_a_dead_worker(keys, *, started_ago: timedelta):
    result = tasks.purge_keys.enqueue(keys)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - started_ago,
        worker_ids=["killed-worker"])
    return result.id


def _run_queue():
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)


def test_a_stale_running_task_is_queued_again_and_runs(database_queue):
    stale = _taken_by_a_dead_worker(["article-7"], started_ago=timedelta(hours=1))
    recent = _taken_by_a_dead_worker(["article-8"], started_ago=timedelta(seconds=5))
    _run_queue()
    assert database_queue.requests == []  # left running: without recovery, lost for good

    assert taskrecovery.requeue_stale() == 1  # only the one older than TASK_STALE_SECONDS
    _run_queue()
    assert database_queue.keys() == {"article-7"}
    assert DBTaskResult.objects.get(pk=stale).status == TaskResultStatus.SUCCESSFUL
    assert DBTaskResult.objects.get(pk=recent).status == TaskResultStatus.RUNNING


def test_a_starting_worker_takes_back_everything_left_running(database_queue):
    _taken_by_a_dead_worker(["article-9"], started_ago=timedelta(seconds=1))
    assert taskrecovery.requeue_orphans() == 1
    _run_queue()
    assert database_queue.keys() == {"article-9"}


def test_nothing_to_do_with_tasks_run_inline(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert taskrecovery.requeue_orphans() == 0
