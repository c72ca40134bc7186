"""The newsletter's part of the worker's clock: called every SCHEDULER_INTERVAL seconds.

`tick()` is idempotent and cheap when there is nothing to do (three small queries):
- on NEWSLETTER_SEND_WEEKDAY, at or after NEWSLETTER_DRAFT_TIME (local TIME_ZONE), it drafts
  that day's round-up unless one exists for the day;
- it starts issues scheduled for now or earlier;
- it reads unsubscribe requests mailed to the List-Unsubscribe address (if a Maildir is set);
- it restarts the send loop of issues whose send lease lapsed: their sender crashed, or it
  left retries waiting and asked to be woken (crash recovery needs no cron and no operator).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from masthead.newsletter import tasks
from masthead.newsletter.models import Issue
from masthead.newsletter.services import inbound, issues
from masthead.newsletter.services.deliveries import lease_until

logger = logging.getLogger("masthead.newsletter")


@dataclass
class TickReport:
    drafted: int | None = None
    started: list[int] = field(default_factory=list)
    restarted: list[int] = field(default_factory=list)
    unsubscribed_by_mail: int = 0


def draft_due(now: datetime) -> int | None:
    """Draft the sending day's issue once the draft time has passed; the new issue's id."""
    local = timezone.localtime(now)
    draft_time = time.fromisoformat(settings.NEWSLETTER_DRAFT_TIME)
    if local.weekday() != settings.NEWSLETTER_SEND_WEEKDAY or local.time() < draft_time:
        return None
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    exists = Issue.objects.filter(
        Q(drafted_for=local.date())
        | Q(created_at__gte=day_start, created_at__lt=day_start + timedelta(days=1))
    ).exists()
    if exists:
        return None
    try:
        return issues.issue_draft(now=now, drafted_for=local.date()).pk
    except IntegrityError:  # another clock drafted it a moment ago
        return None


def start_scheduled(now: datetime) -> list[int]:
    due = Issue.objects.filter(status=Issue.Status.SCHEDULED, scheduled_for__lte=now)
    return [pk for pk in due.values_list("pk", flat=True)
            if issues.issue_start_sending(issue_id=pk, due_by=now)]


def restart_lapsed(now: datetime) -> list[int]:
    """Re-enqueue the send loop of sending issues whose lease lapsed (one enqueue per lapse)."""
    lapsed = Q(send_lease_until__isnull=True) | Q(send_lease_until__lt=now)
    restarted = []
    for pk in Issue.objects.filter(lapsed, status=Issue.Status.SENDING).values_list(
            "pk", flat=True):
        with transaction.atomic():
            if Issue.objects.filter(lapsed, pk=pk, status=Issue.Status.SENDING).update(
                    send_lease_until=lease_until(now)):
                transaction.on_commit(lambda pk=pk: tasks.send_issue.enqueue(pk))
                restarted.append(pk)
    if restarted:
        logger.info("restarting the send loop of issues %s", restarted)
    return restarted


def tick(now: datetime | None = None) -> TickReport:
    """Do whatever the newsletter has due at `now` (default: the current time)."""
    now = now or timezone.now()
    return TickReport(drafted=draft_due(now), started=start_scheduled(now),
                      restarted=restart_lapsed(now), unsubscribed_by_mail=read_unsubscribes())


def read_unsubscribes() -> int:
    """Unsubscribe requests mailed to the List-Unsubscribe address, when a Maildir is set."""
    if not settings.NEWSLETTER_UNSUBSCRIBE_MAILDIR:
        return 0
    try:
        return inbound.read_maildir(settings.NEWSLETTER_UNSUBSCRIBE_MAILDIR).unsubscribed
    except OSError:
        logger.exception("could not read NEWSLETTER_UNSUBSCRIBE_MAILDIR")
        return 0
