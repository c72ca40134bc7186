"""kill -9 the real worker in the middle of a send: nobody gets two copies, nobody is lost.

The worker runs as a subprocess (`masthead worker`, database task queue, its clock every 0.5 s)
against a copy of the migrated test database (a SQLite file, or a PostgreSQL database) and the test's own aiosmtpd server. The server holds the
1,538th message without answering (a message in flight), the test SIGKILLs the worker, 100 of
the readers not yet sent to unsubscribe, and a fresh worker finishes the issue: its clock sees
the issue's lease lapse and restarts the send loop, which reclaims the dead worker's batch.

Killing while the server holds a message is deterministic: the dead worker had marked every
accepted message sent before it sent the next. (A kill in the microseconds between a server's
"250" and that UPDATE would repeat that one message, the "0–1 duplicates" of PERFORMANCE.md.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.smtp import SMTPServer

ROOT = Path(__file__).resolve().parents[2]
MASTHEAD = str(ROOT / ".venv" / "bin" / "masthead")
READERS = 5000
KILL_AFTER = 1537  # not a multiple of the batch size, so per-batch marking would fail
UNSUBSCRIBE = 100
TIME_LIMIT = 90

SETUP = f"""
import django; django.setup()
from datetime import timedelta
from django.utils import timezone
from masthead.newsletter.models import Issue, Subscriber
Subscriber.objects.bulk_create(
    [Subscriber(email=f"reader{{i}}@example.org", name=f"Reader {{i}}", status="confirmed")
     for i in range({READERS})], batch_size=1000)
Subscriber.objects.create(email="pending@example.org", status="pending")
now = timezone.now()
Issue.objects.create(subject="Crash test", period_start=now - timedelta(days=7), period_end=now,
                     status="scheduled", scheduled_for=now)
"""

UNSUBSCRIBE_SCRIPT = """
import sys, django; django.setup()
from masthead.newsletter.services.subscribers import subscriber_unsubscribe
for pk in map(int, sys.argv[1:]):
    assert subscriber_unsubscribe(subscriber_id=pk, source="crash-test", ip=None, user_agent="")
"""


def _environment(var_dir: Path, smtp_port: int, database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "EMAIL_"))}
    env.update(DJANGO_SETTINGS_MODULE="masthead.settings", VAR_DIR=str(var_dir),
               SECRET_KEY="crash-test-only", TASK_BACKEND="database", DATABASE_URL=database_url,
               EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}", SCHEDULER_INTERVAL="0.5",
               NEWSLETTER_LEASE_SECONDS="3", NEWSLETTER_BATCH_SIZE="100", PYTHONUNBUFFERED="1")
    return env


def _wait(predicate, timeout: float, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}\n" + "\n".join(
                p.read_text()[-3000:] for p in logs if p.exists()))
        time.sleep(0.05)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def server():
    smtp = SMTPServer().start()
    yield smtp
    smtp.inbox.release()
    smtp.stop()


@pytest.mark.postgres
@pytest.mark.django_db  # so that the test database exists; the test itself writes nothing to it
def test_kill_9_mid_send_sends_each_reader_exactly_once(tmp_path, server, scratch_template):
    began = time.monotonic()
    db = scratch_template.copy(tmp_path)
    env = _environment(tmp_path, server.port, db.url)
    subprocess.run([sys.executable, "-c", SETUP], env=env, check=True, cwd=ROOT)
    inbox = server.inbox
    inbox.hold_after = KILL_AFTER
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]

    with logs[0].open("w") as log:
        first = subprocess.Popen([MASTHEAD, "worker"], env=env, cwd=ROOT, stdout=log,
                                 stderr=subprocess.STDOUT)
    try:
        _wait(inbox.holding.is_set, 60, f"{KILL_AFTER} messages", logs)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        _stop(first)
    inbox.release()

    received = inbox.count_by_recipient()
    assert len(received) == KILL_AFTER and set(received.values()) == {1}
    issue_id, status = db.query("SELECT id, status FROM newsletter_issue")[0]
    assert status == "sending"
    # Every accepted message was marked sent before the next one went out.
    assert db.query("SELECT COUNT(*) FROM newsletter_delivery WHERE status = 'sent'") == [
        (KILL_AFTER,)]

    pending = db.query("SELECT subscriber_id, email FROM newsletter_delivery "
                       "WHERE status = 'pending' ORDER BY id DESC")
    not_yet = [(pk, email) for pk, email in pending if email not in received][:UNSUBSCRIBE]
    subprocess.run([sys.executable, "-c", UNSUBSCRIBE_SCRIPT, *(str(pk) for pk, _ in not_yet)],
                   env=env, check=True, cwd=ROOT)
    left = {email for _, email in not_yet}

    with logs[1].open("w") as log:
        second = subprocess.Popen([MASTHEAD, "worker"], env=env, cwd=ROOT, stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        _wait(lambda: db.query("SELECT status FROM newsletter_issue WHERE id = ?",
                             (issue_id,)) == [("sent",)], 60, "the issue to be sent", logs)
    finally:
        _stop(second)

    received = inbox.count_by_recipient()
    everyone = {f"reader{i}@example.org" for i in range(READERS)}
    assert {e: received[e] for e in everyone - left} == dict.fromkeys(everyone - left, 1)
    assert not left & set(received)
    assert "pending@example.org" not in received
    assert dict(db.query("SELECT status, COUNT(*) FROM newsletter_delivery GROUP BY status")) \
        == {"sent": READERS - UNSUBSCRIBE, "skipped": UNSUBSCRIBE}
    assert time.monotonic() - began < TIME_LIMIT
