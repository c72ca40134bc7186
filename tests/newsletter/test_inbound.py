"""Unsubscribing by email: the `mailto:` of List-Unsubscribe (RFC 2369), read from a Maildir by
the worker's clock, from an mbox by `masthead read-unsubscribes`, or posted by a provider's
inbound webhook (anymail, Postmark format)."""

from __future__ import annotations

import base64
import json
import mailbox as mailboxes
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from masthead.newsletter import clock, tokens
from masthead.newsletter.models import ConsentEvent, Delivery, Issue, IssueItem, Subscriber
from masthead.newsletter.services import issues
from tests import factories as f

pytestmark = pytest.mark.django_db

ADDRESS = "unsubscribe@example.org"


@pytest.fixture
def mailto(settings, tmp_path):
    settings.NEWSLETTER_UNSUBSCRIBE_MAILTO = ADDRESS
    settings.NEWSLETTER_UNSUBSCRIBE_MAILDIR = str(tmp_path / "unsubscribe-maildir")
    return mailboxes.Maildir(settings.NEWSLETTER_UNSUBSCRIBE_MAILDIR, create=True)


def reader(email="ana@example.org") -> Subscriber:
    return Subscriber.objects.create(email=email, status="confirmed",
                                     confirmed_at=timezone.now())


def request_for(mailto_uri: str, sender: str) -> EmailMessage:
    """What a mail client sends when the reader presses Unsubscribe on a mailto: link."""
    parts = urlsplit(mailto_uri)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = parts.path
    msg["Subject"] = parse_qs(parts.query)["subject"][0]
    msg.set_content("This message will unsubscribe you from the list.")
    return msg


def test_a_round_up_mailto_unsubscribes_through_the_worker_clock(
        mailto, mailbox, django_capture_on_commit_callbacks):
    ana, ben = reader(), reader("ben@example.org")
    now = timezone.now()
    issue = Issue.objects.create(subject="This week", period_start=now - timedelta(days=7),
                                 period_end=now)
    IssueItem.objects.create(issue=issue, brief=f.brief("A brief", published_at=now),
                             sort_order=0)
    with django_capture_on_commit_callbacks(execute=True):
        issues.issue_start_sending(issue_id=issue.pk)
    received = mailbox.to(ana.email)[0].message
    links = [v.strip(" <>\r\n\t") for v in str(received["List-Unsubscribe"]).split(",")]
    mailto_uri = next(link for link in links if link.startswith("mailto:"))
    assert mailto_uri.startswith(f"mailto:{ADDRESS}?subject=unsubscribe-")

    mailto.add(request_for(mailto_uri, "Ana <ana@example.org>"))
    assert clock.tick().unsubscribed_by_mail == 1
    ana.refresh_from_db()
    ben.refresh_from_db()
    assert (ana.status, ben.status) == ("unsubscribed", "confirmed")
    event = ana.events.get(kind=ConsentEvent.Kind.UNSUBSCRIBE)
    assert event.source == "mailto" and "ana@example.org" in event.user_agent
    assert "by email" in event.wording
    assert mailto.keys() == []  # processed and removed
    assert clock.tick().unsubscribed_by_mail == 0


@pytest.mark.parametrize("subject", [
    "please take me off", "unsubscribe-", "unsubscribe-1:forgedsignature12345",
])
def test_messages_without_a_valid_token_change_nothing_and_are_kept(mailto, subject):
    ana = reader()
    forged = EmailMessage()
    forged["From"] = "ana@example.org"  # a From address proves nothing
    forged["To"] = ADDRESS
    forged["Subject"] = subject.replace("1:", f"{ana.pk}:")
    forged.set_content("Unsubscribe me")
    mailto.add(forged)
    assert clock.tick().unsubscribed_by_mail == 0
    ana.refresh_from_db()
    assert ana.status == "confirmed" and not ana.events.exists()
    kept = list(mailto.values())
    assert len(kept) == 1 and "S" in kept[0].get_flags()  # seen, left for a person
    assert clock.tick().unsubscribed_by_mail == 0  # not read again


def test_a_token_in_the_body_also_works_and_pending_deliveries_are_skipped(mailto):
    ana = reader()
    now = timezone.now()
    issue = Issue.objects.create(subject="x", period_start=now - timedelta(days=7),
                                 period_end=now)
    issues.issue_start_sending(issue_id=issue.pk, enqueue=False)
    msg = EmailMessage()
    msg["From"] = "ana@example.org"
    msg["To"] = ADDRESS
    msg["Subject"] = "Re: your newsletter"
    msg.set_content(f"unsubscribe-{tokens.unsubscribe_token(ana.pk)}\n")
    mailto.add(msg)
    clock.tick()
    assert Subscriber.objects.get(pk=ana.pk).status == "unsubscribed"
    assert Delivery.objects.get(issue=issue, subscriber=ana).status == "skipped"


def test_read_unsubscribes_command_reads_an_mbox(tmp_path, capsys):
    ana, ben = reader(), reader("ben@example.org")
    box = mailboxes.mbox(str(tmp_path / "requests.mbox"))
    for who in (ana, ben):
        msg = EmailMessage()
        msg["From"] = who.email
        msg["To"] = ADDRESS
        msg["Subject"] = f"unsubscribe-{tokens.unsubscribe_token(who.pk)}"
        msg.set_content("")
        box.add(msg)
    junk = EmailMessage()
    junk["Subject"] = "hello"
    box.add(junk)
    box.flush()
    call_command("read_unsubscribes", mbox=str(tmp_path / "requests.mbox"))
    assert "3 messages read, 2 unsubscribed, 1 without a valid token" in capsys.readouterr().out
    assert set(Subscriber.objects.values_list("status", flat=True)) == {"unsubscribed"}


def test_provider_inbound_webhook_unsubscribes(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hooks:inbound-secret"}
    ana = reader()
    token = tokens.unsubscribe_token(ana.pk)
    payload = {"FromFull": {"Email": "ana@example.org", "Name": "Ana"},
               "ToFull": [{"Email": ADDRESS, "Name": ""}], "Subject": f"unsubscribe-{token}",
               "TextBody": "", "HtmlBody": "", "Headers": [], "MessageID": "inbound-1",
               "Date": "Fri, 27 Nov 2026 09:00:00 +0000", "Attachments": []}
    auth = "Basic " + base64.b64encode(b"hooks:inbound-secret").decode()
    client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    url = "/newsletter/webhooks/anymail/postmark/inbound/"
    assert client.post(url, json.dumps(payload), content_type="application/json").status_code \
        in (400, 401, 403)
    assert Subscriber.objects.get(pk=ana.pk).status == "confirmed"
    response = client.post(url, json.dumps(payload), content_type="application/json",
                           HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200
    assert Subscriber.objects.get(pk=ana.pk).status == "unsubscribed"
    assert ana.events.get().source == "mailto:postmark"
