"""Sending a round-up through a real SMTP server: snapshot, leases, retries, pauses, recovery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from masthead.newsletter import clock
from masthead.newsletter.models import Delivery, Issue, IssueItem, Subscriber
from masthead.newsletter.selectors_issues import issue_progress
from masthead.newsletter.services import deliveries, issues
from masthead.newsletter.services.subscribers import subscriber_unsubscribe
from tests import factories as f

# postgres (on the tests that need it): the snapshot is one INSERT … SELECT, batches are claimed
# with SKIP LOCKED and leases, each sent message is marked by a raw UPDATE, the clock compares
# times in SQL. Formatting and the file backend are the same on both databases.
pytestmark = pytest.mark.django_db

S = Delivery.Status


def people(n: int, *, status: str = "confirmed", prefix: str = "reader") -> list[Subscriber]:
    Subscriber.objects.bulk_create([
        Subscriber(email=f"{prefix}{i}@example.org", name=f"Reader {i}", status=status)
        for i in range(n)])
    return list(Subscriber.objects.filter(email__startswith=prefix).order_by("pk"))


@pytest.fixture
def issue():
    now = timezone.now()
    issue = Issue.objects.create(subject="This week", period_start=now - timedelta(days=7),
                                 period_end=now)
    IssueItem.objects.create(issue=issue, brief=f.brief("A brief for the round-up",
                                                        published_at=now), sort_order=0)
    return issue


@pytest.fixture
def small_batches(settings):
    settings.NEWSLETTER_BATCH_SIZE = 4


def start(issue, **kwargs) -> Issue:
    assert issues.issue_start_sending(issue_id=issue.pk, enqueue=False, **kwargs)
    issue.refresh_from_db()
    return issue


def statuses(issue) -> dict[str, int]:
    p = issue_progress(Issue.objects.get(pk=issue.pk))
    return {"sent": p.sent, "failed": p.failed, "skipped": p.skipped, "pending": p.pending}


@pytest.mark.postgres
def test_starting_snapshots_confirmed_subscribers_once(issue):
    confirmed = people(3)
    people(2, status="pending", prefix="pending")
    people(1, status="unsubscribed", prefix="gone")
    issue = start(issue)
    assert (issue.status, issue.recipients) == (Issue.Status.SENDING, 3)
    assert issue.started_at and issue.send_lease_until > timezone.now()
    rows = Delivery.objects.filter(issue=issue).order_by("subscriber_id")
    assert [(d.subscriber_id, d.email, d.name, d.status) for d in rows] == [
        (s.pk, s.email, s.name, S.PENDING) for s in confirmed]
    assert not issues.issue_start_sending(issue_id=issue.pk)  # already sending
    assert issues._snapshot(issue.pk) == 3  # the INSERT … SELECT itself adds nothing twice
    assert Delivery.objects.filter(issue=issue).count() == 3


@pytest.mark.postgres
def test_every_confirmed_subscriber_gets_one_copy(issue, mailbox, small_batches,
                                                  django_capture_on_commit_callbacks):
    readers = people(10)
    with django_capture_on_commit_callbacks(execute=True):  # the task runs inline in tests
        issues.issue_start_sending(issue_id=issue.pk)
    assert mailbox.count_by_recipient() == {s.email: 1 for s in readers}
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT and issue.finished_at
    assert statuses(issue) == {"sent": 10, "failed": 0, "skipped": 0, "pending": 0}
    assert not Delivery.objects.filter(issue=issue, sent_at__isnull=True).exists()
    msg = mailbox.to("reader3@example.org")[0].message
    assert msg["Subject"] == "This week"
    assert "A brief for the round-up" in msg.get_body(("plain",)).get_content()


@pytest.mark.postgres
def test_who_leaves_during_the_send_gets_nothing_more(issue, mailbox, small_batches):
    readers = people(12)
    issue = start(issue)
    leaver, bounced = readers[6], readers[9]

    def after_first_batch(result):
        if result.sent == 4:
            subscriber_unsubscribe(subscriber_id=leaver.pk, source="test", ip=None,
                                   user_agent="")
            # A status change that bypassed the service: the per-batch re-check catches it.
            Subscriber.objects.filter(pk=bounced.pk).update(status="bounced")

    result = deliveries.issue_send_loop(issue_id=issue.pk, on_batch=after_first_batch)
    assert result.outcome == "finished" and (result.sent, result.skipped) == (10, 1)
    received = mailbox.count_by_recipient()
    assert leaver.email not in received and bounced.email not in received
    assert set(received.values()) == {1} and len(received) == 10
    assert Delivery.objects.get(issue=issue, subscriber=leaver).status == S.SKIPPED
    assert Delivery.objects.get(issue=issue, subscriber=bounced).status == S.SKIPPED


@pytest.mark.postgres
def test_a_claimed_batch_is_reclaimed_once_its_lease_expires(issue, small_batches, settings):
    people(6)
    issue = start(issue)
    now = timezone.now()
    mine = deliveries.claim_batch(issue_id=issue.pk, worker="a", now=now)
    theirs = deliveries.claim_batch(issue_id=issue.pk, worker="b", now=now)
    assert (len(mine), len(theirs)) == (4, 2)
    assert not {r.delivery_id for r in mine} & {r.delivery_id for r in theirs}
    assert deliveries.claim_batch(issue_id=issue.pk, worker="c", now=now) == []
    later = now + timedelta(seconds=settings.NEWSLETTER_LEASE_SECONDS + 1)
    reclaimed = deliveries.claim_batch(issue_id=issue.pk, worker="c", now=later)
    assert [r.delivery_id for r in reclaimed] == [r.delivery_id for r in mine]
    assert set(Delivery.objects.filter(pk__in=[r.delivery_id for r in mine])
               .values_list("claimed_by", flat=True)) == {"c"}


@pytest.mark.postgres
def test_a_crashed_sender_is_replaced_by_the_clock(issue, mailbox, small_batches, settings,
                                                   django_capture_on_commit_callbacks):
    readers = people(7)
    issue = start(issue)
    crashed = deliveries.claim_batch(issue_id=issue.pk, worker="crashed")  # then it died
    result = deliveries.issue_send_loop(issue_id=issue.pk)
    assert (result.outcome, result.sent) == ("waiting", 3)
    issue.refresh_from_db()
    lease = Delivery.objects.get(pk=crashed[0].delivery_id).lease_until
    assert issue.status == Issue.Status.SENDING and issue.send_lease_until == lease
    assert clock.tick().restarted == []  # the crashed sender's lease still runs
    # Time passes: the crashed sender's leases (and so the issue's wake-up time) run out.
    expired = timezone.now() - timedelta(seconds=1)
    Delivery.objects.filter(claimed_by="crashed").update(lease_until=expired)
    Issue.objects.filter(pk=issue.pk).update(send_lease_until=expired)
    with django_capture_on_commit_callbacks(execute=True):
        assert clock.tick().restarted == [issue.pk]
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT
    assert clock.tick().restarted == []
    assert mailbox.count_by_recipient() == {s.email: 1 for s in readers}


@pytest.mark.postgres
def test_temporary_failures_back_off_then_give_up(issue, mailbox, settings):
    settings.NEWSLETTER_MAX_ATTEMPTS = 3
    people(3)
    mailbox.reject["reader1@example.org"] = "450 4.2.1 Mailbox busy, try later"
    issue = start(issue)
    busy = Delivery.objects.get(issue=issue, email="reader1@example.org")
    delays = []
    for attempt in (1, 2, 3):
        before = timezone.now()
        result = deliveries.issue_send_loop(issue_id=issue.pk)
        busy.refresh_from_db()
        assert busy.attempts == attempt and "450 4.2.1 Mailbox busy" in busy.last_error
        if attempt < 3:
            assert (result.outcome, busy.status) == ("waiting", S.PENDING)
            delays.append(busy.next_attempt_at - before)
            issue.refresh_from_db()
            assert issue.send_lease_until == busy.next_attempt_at  # the clock's wake-up time
            assert deliveries.issue_send_loop(issue_id=issue.pk).sent == 0  # not due yet
            Delivery.objects.filter(pk=busy.pk).update(next_attempt_at=timezone.now())
    assert busy.status == S.FAILED and busy.next_attempt_at is None
    assert [round(d.total_seconds() / 60) for d in delays] == [1, 2]  # 60 s, then 120 s
    assert result.outcome == "finished"
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.SENT
    assert "reader1@example.org" not in mailbox.count_by_recipient()
    assert statuses(issue) == {"sent": 2, "failed": 1, "skipped": 0, "pending": 0}


@pytest.mark.postgres
def test_a_refused_recipient_fails_at_once(issue, mailbox):
    people(2)
    mailbox.reject["reader0@example.org"] = "550 5.1.1 No such user"
    issue = start(issue)
    assert deliveries.issue_send_loop(issue_id=issue.pk).outcome == "finished"
    gone = Delivery.objects.get(issue=issue, email="reader0@example.org")
    assert (gone.status, gone.attempts) == (S.FAILED, 1) and "550" in gone.last_error
    assert mailbox.count_by_recipient() == {"reader1@example.org": 1}


@pytest.mark.postgres
def test_too_many_failures_pause_the_send_and_resume_finishes_it(
        issue, mailbox, settings, django_capture_on_commit_callbacks):
    settings.NEWSLETTER_PAUSE_AFTER_FAILURES = 2
    readers = people(10)
    for s in readers[2:7]:
        mailbox.reject[s.email] = "451 4.3.0 Temporary local problem"
    issue = start(issue)
    result = deliveries.issue_send_loop(issue_id=issue.pk)
    assert (result.outcome, result.failed) == ("paused", 3)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.PAUSED and issue.failures == 3
    assert "Paused after 3 failed deliveries" in issue.paused_reason
    assert "451 4.3.0" in issue.paused_reason
    assert not Delivery.objects.filter(issue=issue, status=S.PENDING,
                                       lease_until__isnull=False).exists()  # released
    assert deliveries.issue_send_loop(issue_id=issue.pk).outcome == "stopped"
    mailbox.reject.clear()  # the editor fixed the problem
    with django_capture_on_commit_callbacks(execute=True):
        assert issues.issue_resume(issue_id=issue.pk)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT and issue.failures == 0
    assert mailbox.count_by_recipient() == {s.email: 1 for s in readers}


@pytest.mark.postgres
def test_editors_pause_and_cancel_stop_the_loop(issue, mailbox, small_batches):
    people(12)
    issue = start(issue)

    def pause_after_first_batch(result):
        issues.issue_pause(issue_id=issue.pk)

    result = deliveries.issue_send_loop(issue_id=issue.pk, on_batch=pause_after_first_batch)
    assert (result.outcome, result.sent) == ("stopped", 4)
    assert issues.issue_cancel(issue_id=issue.pk)
    assert not issues.issue_resume(issue_id=issue.pk)
    assert deliveries.issue_send_loop(issue_id=issue.pk).outcome == "stopped"
    assert len(mailbox.messages) == 4
    assert statuses(issue)["pending"] == 8


@pytest.mark.postgres
def test_the_clock_starts_scheduled_issues_when_due(issue, mailbox,
                                                    django_capture_on_commit_callbacks):
    people(2)
    now = timezone.now()
    issues.issue_schedule(issue_id=issue.pk, when=now + timedelta(minutes=5))
    assert clock.tick(now).started == []
    with django_capture_on_commit_callbacks(execute=True):
        assert clock.tick(now + timedelta(minutes=5)).started == [issue.pk]
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.SENT
    assert len(mailbox.messages) == 2
    with pytest.raises(issues.IssueStateError):
        issues.issue_schedule(issue_id=issue.pk, when=now)


def test_the_file_outbox_receives_the_issue(issue, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    people(3)
    issue = start(issue)
    assert deliveries.issue_send_loop(issue_id=issue.pk).sent == 3
    text = "".join(p.read_text() for p in tmp_path.glob("*.log"))
    assert text.count("List-Unsubscribe-Post: List-Unsubscribe=One-Click") == 3
    assert text.count("Message-ID: <issue-") == 3


def test_the_send_issue_command_sends_in_the_foreground(issue, mailbox, small_batches, capsys):
    readers = people(9)
    call_command("send-issue", str(issue.pk))
    out = capsys.readouterr()
    assert f"Issue {issue.pk} sent: 9 sent" in out.out
    assert "9/9" in out.err  # the progress bar
    assert mailbox.count_by_recipient() == {s.email: 1 for s in readers}
    call_command("send_issue", str(issue.pk))  # the underscore alias; nothing left to send
    assert len(mailbox.messages) == 9


def test_lines_starting_with_a_dot_arrive_intact(issue, mailbox):
    """The message is dot-stuffed as it is built (SMTP transparency), not by smtplib."""
    issue.introduction = ".A line that starts with a dot\n..and one with two"
    issue.save()
    people(1, prefix=".dotted")  # an address smtplib has to quote: the fallback path
    people(1)
    issue = start(issue)
    assert deliveries.issue_send_loop(issue_id=issue.pk).sent == 2
    for address in (".dotted0@example.org", "reader0@example.org"):
        msg = mailbox.to(address)[0].message
        text = msg.get_body(("plain",)).get_content()
        assert ".A line that starts with a dot\r\n..and one with two" in text
        assert "starts with a dot<br>..and one" in msg.get_body(("html",)).get_content()


def test_a_test_send_goes_to_one_address_only(issue, mailbox):
    people(3)
    issues.issue_send_test(issue_id=issue.pk, email="editor@example.org", name="Ed")
    assert len(mailbox.messages) == 1
    msg = mailbox.to("editor@example.org")[0].message
    assert msg["Subject"] == "[Test] This week"
    issue.refresh_from_db()
    assert issue.test_sent_to == "editor@example.org" and issue.status == Issue.Status.DRAFT
    assert not Delivery.objects.exists()
