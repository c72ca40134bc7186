"""`masthead send-issue <issue id>`: send a round-up in the foreground, with a progress bar.

Starts sending if the issue is a draft or scheduled, then runs the send loop here until every
delivery is sent, failed or skipped, waiting for retries that are due later. Safe alongside a
running worker: both take deliveries by lease, so nobody gets two copies.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from masthead.newsletter.models import Delivery, Issue
from masthead.newsletter.selectors_issues import issue_progress
from masthead.newsletter.services import deliveries
from masthead.newsletter.services.issues import issue_start_sending

MAX_WAIT_SECONDS = 60


class Command(BaseCommand):
    help = "Send a round-up issue now, in the foreground, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("issue_id", type=int)

    def handle(self, *args, issue_id, **options):
        issue = Issue.objects.filter(pk=issue_id).first()
        if issue is None:
            raise CommandError(f"No issue {issue_id}.")
        if issue_start_sending(issue_id=issue_id, enqueue=False):
            self.stdout.write(f"Started sending “{issue}”.")
        pending = Delivery.objects.filter(issue_id=issue_id, status=Delivery.Status.PENDING)
        bar = tqdm(total=pending.count(), desc=f"Issue {issue_id}", unit="msg")
        done = 0
        worker = deliveries.worker_id()

        def on_batch(result):
            nonlocal done
            total = previous + result.sent + result.skipped + result.given_up
            bar.update(total - done)
            done = total

        previous = 0
        while True:
            result = deliveries.issue_send_loop(issue_id=issue_id, worker=worker,
                                                on_batch=on_batch)
            previous = done
            if result.outcome != "waiting":
                break
            self._wait_for_retries(issue_id)
        bar.close()
        self._report(Issue.objects.get(pk=issue_id))

    def _wait_for_retries(self, issue_id: int) -> None:
        lease = Issue.objects.filter(pk=issue_id).values_list("send_lease_until", flat=True).get()
        seconds = (lease - timezone.now()).total_seconds() if lease else 1
        time.sleep(min(max(seconds, 0.2), MAX_WAIT_SECONDS))

    def _report(self, issue: Issue) -> None:
        p = issue_progress(issue)
        summary = f"{p.sent} sent, {p.failed} failed, {p.skipped} skipped, {p.pending} pending"
        if issue.status == Issue.Status.SENT:
            self.stdout.write(self.style.SUCCESS(f"Issue {issue.pk} sent: {summary}."))
        elif issue.status == Issue.Status.PAUSED:
            raise CommandError(f"Issue {issue.pk} paused: {issue.paused_reason} ({summary}).")
        else:
            raise CommandError(f"Issue {issue.pk} is {issue.get_status_display().lower()} "
                               f"({summary}).")
