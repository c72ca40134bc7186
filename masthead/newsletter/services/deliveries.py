"""The send loop: claim a batch of deliveries, send each, mark each sent once it is accepted.

Exactly-once, as far as SMTP allows: a delivery is marked sent by its own UPDATE (autocommit)
right after the server accepts the message, before the next message goes out. A sender killed
at any moment has therefore repeated at most the one message in flight; its claimed batch is
reclaimed by any sender once the lease (NEWSLETTER_LEASE_SECONDS) expires, and the clock
(clock.py) restarts the loop when the issue's own lease lapses. Two senders never hold the
same delivery: a claim is one conditional UPDATE of rows whose lease is free or expired.

Run this outside any transaction (a task, a management command): inside one, the per-message
marks would only be durable at the end.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from masthead.newsletter import sending
from masthead.newsletter.models import Delivery, Issue, Subscriber
from masthead.newsletter.sending import Recipient, SendFailed

logger = logging.getLogger("masthead.newsletter")

PENDING, SENT = Delivery.Status.PENDING, Delivery.Status.SENT
FAILED, SKIPPED = Delivery.Status.FAILED, Delivery.Status.SKIPPED
RETRY_BASE_SECONDS = 60  # then 120, 240, ... capped at RETRY_MAX_SECONDS
RETRY_MAX_SECONDS = 3600
LEASE_USE = 0.8  # stop sending a claimed batch once this share of its lease has passed
LEAN_CACHE_KIB = -8192  # SQLite's page cache while sending: 8 MB


@contextmanager
def lean_sqlite() -> Iterator[None]:
    """SQLite only: a small page cache and no memory map while sending or snapshotting.

    The settings give each connection a 64 MB page cache and a 256 MB memory map, right for
    reader pages. A send passes once over every delivery and would fill both for nothing
    (measured at 1,000,000 recipients: 400+ MB peak RSS instead of about 120 MB).
    """
    if connection.vendor != "sqlite":
        yield
        return
    lean = {"mmap_size": 0, "cache_size": LEAN_CACHE_KIB}
    with connection.cursor() as cursor:
        before = {}
        for pragma, value in lean.items():
            cursor.execute(f"PRAGMA {pragma}")
            row = cursor.fetchone()  # none for mmap_size on an in-memory database
            if row is not None:
                before[pragma] = int(row[0])
                cursor.execute(f"PRAGMA {pragma} = {value}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for pragma, value in before.items():
                cursor.execute(f"PRAGMA {pragma} = {value}")


def lease_until(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.NEWSLETTER_LEASE_SECONDS)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the n-th failed attempt (n ≥ 1)."""
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** (attempts - 1), RETRY_MAX_SECONDS))


def worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class LoopResult:
    sent: int = 0
    failed: int = 0  # failed attempts (some are retried later)
    given_up: int = 0  # deliveries marked failed for good
    skipped: int = 0
    outcome: str = ""  # finished | waiting | paused | stopped | sliced

    def as_dict(self) -> dict:
        return asdict(self)


# --- claiming -------------------------------------------------------------------------------


def _claimable(issue_id: int, now: datetime):
    return (Delivery.objects.filter(issue_id=issue_id, status=PENDING)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)))


def claim_batch(*, issue_id: int, worker: str, size: int | None = None,
                now: datetime | None = None) -> list[Recipient]:
    """Lease up to `size` sendable deliveries to `worker` and return them, oldest first.

    PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, then UPDATE, in one short transaction, so
    concurrent senders take different rows without waiting. SQLite: one
    UPDATE … WHERE id IN (SELECT … LIMIT n), atomic on its own (SQLite has one writer).
    """
    now = now or timezone.now()
    lease = lease_until(now)
    size = size or settings.NEWSLETTER_BATCH_SIZE
    candidates = _claimable(issue_id, now)
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            ids = list(candidates.select_for_update(skip_locked=True)
                       .values_list("id", flat=True)[:size])
            Delivery.objects.filter(id__in=ids).update(lease_until=lease, claimed_by=worker)
    else:
        Delivery.objects.filter(id__in=candidates.values("id")[:size]).update(
            lease_until=lease, claimed_by=worker)
    rows = (Delivery.objects.filter(issue_id=issue_id, status=PENDING, claimed_by=worker,
                                    lease_until=lease)
            .order_by("id").values_list("id", "subscriber_id", "email", "name", "attempts"))
    return [Recipient(subscriber_id=s, email=e, name=n, delivery_id=d, attempts=a)
            for d, s, e, n, a in rows]


def _drop_unsubscribed(batch: list[Recipient]) -> tuple[list[Recipient], int]:
    """Skip claimed deliveries whose subscriber is no longer confirmed (one query per batch)."""
    confirmed = set(Subscriber.objects.filter(
        pk__in=[r.subscriber_id for r in batch], status=Subscriber.Status.CONFIRMED
    ).values_list("pk", flat=True))
    gone = [r.delivery_id for r in batch if r.subscriber_id not in confirmed]
    if gone:
        Delivery.objects.filter(id__in=gone, status=PENDING).update(
            status=SKIPPED, lease_until=None)
    return [r for r in batch if r.subscriber_id in confirmed], len(gone)


def _release(batch: list[Recipient]) -> None:
    """Give back claimed deliveries this sender will not send now."""
    if batch:
        Delivery.objects.filter(id__in=[r.delivery_id for r in batch], status=PENDING).update(
            lease_until=None, claimed_by="")


# --- marking --------------------------------------------------------------------------------


class _Marker:
    """Marks one delivery sent: one raw UPDATE, committed at once (autocommit)."""

    def __init__(self):
        table = connection.ops.quote_name(Delivery._meta.db_table)
        self.sql = (f"UPDATE {table} SET status = %s, sent_at = %s, lease_until = NULL, "
                    f"last_error = '' WHERE id = %s")
        self.adapt = connection.ops.adapt_datetimefield_value

    def sent(self, cursor, delivery_id: int) -> None:
        cursor.execute(self.sql, [SENT, self.adapt(timezone.now()), delivery_id])


def _record_failure(issue_id: int, r: Recipient, failure: SendFailed,
                    result: LoopResult) -> bool:
    """Count a failed attempt; back off or give up; True if the issue is now paused."""
    now = timezone.now()
    attempts = r.attempts + 1
    final = failure.permanent or attempts >= settings.NEWSLETTER_MAX_ATTEMPTS
    result.failed += 1
    result.given_up += final
    Delivery.objects.filter(pk=r.delivery_id, status=PENDING).update(
        attempts=attempts, last_error=failure.reason, lease_until=None, claimed_by="",
        status=FAILED if final else PENDING,
        next_attempt_at=None if final else now + retry_delay(attempts),
    )
    Issue.objects.filter(pk=issue_id).update(failures=F("failures") + 1)
    failures = Issue.objects.filter(pk=issue_id).values_list("failures", flat=True).first() or 0
    if failures <= settings.NEWSLETTER_PAUSE_AFTER_FAILURES:
        return False
    reason = f"Paused after {failures} failed deliveries. Last error: {failure.reason}"
    Issue.objects.filter(pk=issue_id, status=Issue.Status.SENDING).update(
        status=Issue.Status.PAUSED, paused_reason=reason[:255], send_lease_until=None)
    logger.warning("issue %s paused: %s", issue_id, reason)
    return True


# --- the loop -------------------------------------------------------------------------------


def _renew(issue_id: int) -> bool:
    """Hold the issue's lease for another period; False once it is no longer sending."""
    return bool(Issue.objects.filter(pk=issue_id, status=Issue.Status.SENDING).update(
        send_lease_until=lease_until(timezone.now())))


def _finish_or_wait(issue_id: int) -> str:
    """Nothing claimable: finish if nothing is pending, else leave the clock a wake-up time."""
    now = timezone.now()
    pending = Delivery.objects.filter(issue_id=issue_id, status=PENDING)
    if not pending.exists():
        Issue.objects.filter(pk=issue_id, status=Issue.Status.SENDING).update(
            status=Issue.Status.SENT, finished_at=now, send_lease_until=None)
        logger.info("issue %s: sent", issue_id)
        return "finished"
    times = pending.aggregate(retry=Min("next_attempt_at"), lease=Min("lease_until"))
    wake = min([t for t in times.values() if t is not None], default=now)
    Issue.objects.filter(pk=issue_id, status=Issue.Status.SENDING).update(
        send_lease_until=max(wake, now))
    return "waiting"


def _send_batch(issue_id: int, outbox: sending.Outbox, batch: list[Recipient],
                result: LoopResult) -> bool:
    """Send a claimed batch in order; False if failures paused the issue."""
    stop_at = time.monotonic() + settings.NEWSLETTER_LEASE_SECONDS * LEASE_USE
    marker = _Marker()
    with connection.cursor() as cursor:
        for i, r in enumerate(batch):
            if time.monotonic() > stop_at:  # the lease is running out: let others have the rest
                _release(batch[i:])
                return True
            try:
                outbox.send(r)
            except SendFailed as failure:
                if _record_failure(issue_id, r, failure, result):
                    _release(batch[i + 1:])
                    return False
                continue
            marker.sent(cursor, r.delivery_id)
            result.sent += 1
    return True


def issue_send_loop(*, issue_id: int, worker: str | None = None, deadline: float | None = None,
                    on_batch: Callable[[LoopResult], None] | None = None) -> LoopResult:
    """Send the issue's pending deliveries until none is claimable (or `deadline`, monotonic).

    Safe to run in several processes at once. `on_batch` is called after each batch with the
    running totals (the command's progress bar).
    """
    worker = worker or worker_id()
    result = LoopResult()
    issue = Issue.objects.filter(pk=issue_id, status=Issue.Status.SENDING).first()
    if issue is None:
        result.outcome = "stopped"
        return result
    roundup = sending.render_issue(issue)
    with lean_sqlite():
        _loop(issue_id, worker, roundup, result, deadline, on_batch)
    return result


def _loop(issue_id: int, worker: str, roundup: sending.RoundUpEmail, result: LoopResult,
          deadline: float | None, on_batch) -> None:
    while True:
        if not _renew(issue_id):
            result.outcome = "stopped"
            break
        batch = claim_batch(issue_id=issue_id, worker=worker)
        if not batch:
            result.outcome = _finish_or_wait(issue_id)
            break
        batch, skipped = _drop_unsubscribed(batch)
        result.skipped += skipped
        with sending.Outbox(roundup) as outbox:  # one mail connection per batch
            carry_on = _send_batch(issue_id, outbox, batch, result)
        if on_batch:
            on_batch(result)
        if not carry_on:
            result.outcome = "paused"
            break
        if deadline is not None and time.monotonic() >= deadline:
            result.outcome = "sliced"
            break
