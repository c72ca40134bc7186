"""Round-up issues: drafting, scheduling, starting, pausing, resuming, cancelling, test sends.

An issue moves draft → scheduled → sending ⇄ paused → sent, or to cancelled from any state
before sent. Starting snapshots one Delivery row per confirmed subscriber in one INSERT … SELECT
(unique on issue and subscriber, so starting twice adds nothing) and enqueues the send loop
(services/deliveries.py) on commit. Every change is one conditional UPDATE or a locked row, so
two clocks, two editors or a clock and an editor cannot move an issue twice.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from masthead.briefs.models import Brief
from masthead.core import versioning
from masthead.core.selectors import magazine
from masthead.editorial.models import PublishedArticle
from masthead.newsletter import sending, tasks
from masthead.newsletter.models import Delivery, Issue, IssueItem, Subscriber
from masthead.newsletter.services.deliveries import lean_sqlite, lease_until

logger = logging.getLogger("masthead.newsletter")

Status = Issue.Status
DEFAULT_PERIOD = timedelta(days=7)
EDITABLE = (Status.DRAFT, Status.SCHEDULED)


class IssueStateError(Exception):
    """The issue is not in a state that allows this (e.g. scheduling an issue already sent)."""


# --- drafting -------------------------------------------------------------------------------


def period_start(now: datetime) -> datetime:
    """Where a round-up drafted at `now` starts: the last issue's end, or 7 days back."""
    last_end = (Issue.objects.exclude(status=Status.CANCELLED).filter(period_end__lte=now)
                .aggregate(end=Max("period_end"))["end"])
    return last_end or now - DEFAULT_PERIOD


def round_up_article_ids(start: datetime, end: datetime) -> list[int]:
    """Live articles of round-up kinds published in (start, end]: by kind order, newest first."""
    return list(
        PublishedArticle.objects.filter(published_at__gt=start, published_at__lte=end,
                                        kind__in_round_up=True)
        .order_by("kind__sort_order", "kind__name", "-published_at", "-page_id")
        .values_list("page_id", flat=True)
    )


def round_up_brief_ids(start: datetime, end: datetime) -> list[int]:
    """Live briefs first published in (start, end], newest first."""
    return list(Brief.objects.live().filter(first_published_at__gt=start,
                                            first_published_at__lte=end)
                .newest_first().values_list("pk", flat=True))


def default_subject(now: datetime) -> str:
    name = magazine(versioning.current())["name"] or settings.WAGTAIL_SITE_NAME
    return f"{name}: the week in review, {timezone.localtime(now):%-d %B %Y}"


def issue_draft(*, now: datetime, drafted_for: date | None = None) -> Issue:
    """A draft issue covering everything published since the last issue (or the last 7 days).

    Items: the period's live articles of kinds shown in the round-up, grouped by kind in the
    kinds' order and newest first within a kind, then the period's live briefs, newest first.
    """
    start = period_start(now)
    with transaction.atomic():
        issue = Issue.objects.create(subject=default_subject(now), period_start=start,
                                     period_end=now, drafted_for=drafted_for)
        items = [IssueItem(issue=issue, article_id=pk) for pk in round_up_article_ids(start, now)]
        items += [IssueItem(issue=issue, brief_id=pk) for pk in round_up_brief_ids(start, now)]
        for i, item in enumerate(items):
            item.sort_order = i
        IssueItem.objects.bulk_create(items)
    logger.info("drafted issue %s with %s items", issue.pk, len(items))
    return issue


# --- scheduling and starting ----------------------------------------------------------------


def issue_schedule(*, issue_id: int, when: datetime) -> None:
    """Send at `when` (the worker's clock starts it). Raises IssueStateError once sending."""
    if not Issue.objects.filter(pk=issue_id, status__in=EDITABLE).update(
            status=Status.SCHEDULED, scheduled_for=when):
        raise IssueStateError("Only a draft or scheduled issue can be scheduled.")


def issue_unschedule(*, issue_id: int) -> None:
    if not Issue.objects.filter(pk=issue_id, status=Status.SCHEDULED).update(
            status=Status.DRAFT, scheduled_for=None):
        raise IssueStateError("This issue is not scheduled.")


def _snapshot(issue_id: int) -> int:
    """One Delivery per confirmed subscriber, in the database: nothing is loaded into Python."""
    d, s = Delivery._meta, Subscriber._meta
    # The id is written into the SQL (an int, so safe): PostgreSQL types a bare parameter in a
    # SELECT list as text, which a bigint column refuses.
    sql = (
        f"INSERT INTO {d.db_table} (issue_id, subscriber_id, email, name, status, attempts, "
        f"claimed_by, last_error) "
        f"SELECT {int(issue_id)}, id, email, name, %s, 0, '', '' FROM {s.db_table} "
        f"WHERE status = %s ON CONFLICT (issue_id, subscriber_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [Delivery.Status.PENDING, Subscriber.Status.CONFIRMED])
        cursor.execute(f"SELECT COUNT(*) FROM {d.db_table} WHERE issue_id = %s", [issue_id])
        return cursor.fetchone()[0]


def issue_start_sending(*, issue_id: int, enqueue: bool = True,
                        due_by: datetime | None = None) -> bool:
    """Snapshot the recipients and start the send loop. False if the issue was not startable.

    Idempotent: an issue already sending (or sent) is left alone. `due_by` (the clock) starts
    only an issue still scheduled for that time or earlier. `enqueue=False` leaves the loop to
    the caller (the send-issue command runs it in the foreground).
    """
    now = timezone.now()
    startable = Issue.objects.select_for_update().filter(pk=issue_id, status__in=EDITABLE)
    if due_by is not None:
        startable = startable.filter(status=Status.SCHEDULED, scheduled_for__lte=due_by)
    with lean_sqlite(), transaction.atomic():
        if not startable.exists():
            return False
        recipients = _snapshot(issue_id)
        Issue.objects.filter(pk=issue_id).update(
            status=Status.SENDING, recipients=recipients, started_at=now, finished_at=None,
            failures=0, paused_reason="", send_lease_until=lease_until(now),
        )
        if enqueue:
            transaction.on_commit(lambda: tasks.send_issue.enqueue(issue_id))
    logger.info("issue %s: sending to %s recipients", issue_id, recipients)
    return True


# --- editors' controls ----------------------------------------------------------------------


def issue_pause(*, issue_id: int, reason: str = "Paused by an editor") -> bool:
    """Stop after the batch in flight; nothing is lost, resume carries on."""
    return bool(Issue.objects.filter(pk=issue_id, status=Status.SENDING).update(
        status=Status.PAUSED, paused_reason=reason[:255], send_lease_until=None))


def issue_resume(*, issue_id: int) -> bool:
    """Carry on sending: the failure count starts again and waiting retries are due now."""
    now = timezone.now()
    with transaction.atomic():
        if not Issue.objects.filter(pk=issue_id, status=Status.PAUSED).update(
                status=Status.SENDING, paused_reason="", failures=0,
                send_lease_until=lease_until(now)):
            return False
        Delivery.objects.filter(issue_id=issue_id, status=Delivery.Status.PENDING,
                                next_attempt_at__isnull=False).update(next_attempt_at=None)
        transaction.on_commit(lambda: tasks.send_issue.enqueue(issue_id))
    return True


def issue_cancel(*, issue_id: int) -> bool:
    """Never send the rest. Deliveries not yet sent stay pending, for the record."""
    return bool(Issue.objects.filter(pk=issue_id).exclude(
        status__in=(Status.SENT, Status.CANCELLED)).update(
        status=Status.CANCELLED, send_lease_until=None, finished_at=timezone.now()))


def issue_send_test(*, issue_id: int, email: str, name: str = "") -> None:
    """Send the issue, marked [Test], to one address (an editor's). Raises SendFailed.

    The unsubscribe link is the subscriber's own when the address is subscribed, else a link
    that unsubscribes nobody.
    """
    issue = Issue.objects.get(pk=issue_id)
    subscriber_id = (Subscriber.objects.filter(email=email.strip().lower())
                     .values_list("pk", flat=True).first()) or 0
    roundup = sending.render_issue(issue, test=True)
    with sending.Outbox(roundup) as outbox:
        outbox.send(sending.Recipient(subscriber_id=subscriber_id, email=email, name=name))
    Issue.objects.filter(pk=issue_id).update(test_sent_at=timezone.now(), test_sent_to=email)
