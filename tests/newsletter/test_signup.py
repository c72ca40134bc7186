"""Sign-up and double opt-in, through the real views and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone

from masthead.newsletter import tokens
from masthead.newsletter.models import ConsentEvent, Subscriber
from masthead.newsletter.ratelimit import Rate, parse_rate
from masthead.newsletter.services.confirmation import confirmation_send
from masthead.newsletter.wording import CONFIRM_WORDING, CONSENT_WORDING
from tests import factories as f

pytestmark = pytest.mark.django_db

UA = "Mozilla/5.0 (X11; Linux x86_64) NewsletterTest/1.0"
CHECK_INBOX = "Check your inbox"
LINK = re.compile(r"https?://[^\s\"<>]+/newsletter/confirm/[^/\s\"<>]+/")


def reader(ip: str = "203.0.113.7") -> Client:
    """A browser without cookies; CSRF checks on, as in production."""
    return Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1", REMOTE_ADDR=ip,
                  HTTP_USER_AGENT=UA)


@pytest.fixture
def sign_up(django_capture_on_commit_callbacks):
    """POST the sign-up form and run what was enqueued on commit (the confirmation task)."""

    def post(email, *, name="", client=None, referer="", **extra):
        headers = {"HTTP_REFERER": referer} if referer else {}
        with django_capture_on_commit_callbacks(execute=True):
            return (client or reader()).post("/newsletter/", {"email": email, "name": name,
                                                               **extra}, **headers)

    return post


def text_part(received) -> str:
    return received.message.get_body(("plain",)).get_content()


def html_part(received) -> str:
    return received.message.get_body(("html",)).get_content()


def confirm_path(received) -> str:
    url = LINK.search(text_part(received)).group(0)
    return url[len(django_settings.SITE_URL):]


def counts() -> tuple[int, int]:
    return Subscriber.objects.count(), ConsentEvent.objects.count()


# --- The journey ------------------------------------------------------------------------------


def test_sign_up_email_link_get_then_post_confirms(sign_up, mailbox):
    page = reader().get("/newsletter/")
    assert page.status_code == 200
    assert page["Cache-Control"] == "private, no-store"
    assert 'action="/newsletter/"' in page.content.decode()
    assert CONSENT_WORDING in page.content.decode()
    assert '<input type="hidden" name="source" value="newsletter-page">' in page.content.decode()

    response = sign_up("  Reader@Example.ORG ", name="Ada Reader", source="box",
                       referer="http://127.0.0.1/articles/a-story/")
    assert response.status_code == 303
    assert response["Location"] == "/newsletter/thanks/"
    thanks = reader().get(response["Location"])
    assert thanks.status_code == 200 and CHECK_INBOX in thanks.content.decode()
    assert thanks["Cache-Control"] == "private, no-store"

    subscriber = Subscriber.objects.get()
    assert subscriber.email == "reader@example.org"
    assert subscriber.name == "Ada Reader"
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.confirmation_sent_at is not None

    [received] = mailbox.to("reader@example.org")
    assert received.message["To"] == "Ada Reader <reader@example.org>"
    assert "Confirm your subscription" in received.message["Subject"]
    path = confirm_path(received)
    assert path in html_part(received)

    # Opening the link (as a mail scanner would) only shows the button.
    shown = reader(ip="198.51.100.9").get(path)
    body = shown.content.decode()
    assert shown.status_code == 200
    assert shown["Cache-Control"] == "private, no-store"
    assert re.search(r'<form class="newsletter-form" method="post">', body)
    assert re.search(r'<button type="submit"[^>]*>Confirm</button>', body)
    assert CONFIRM_WORDING in body
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    assert ConsentEvent.objects.count() == 1

    confirmed = reader(ip="198.51.100.9").post(path)
    assert confirmed.status_code == 200
    assert "You are subscribed" in confirmed.content.decode()
    assert confirmed["Cache-Control"] == "private, no-store"
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.confirmed_at is not None

    signup_event, confirm_event = subscriber.events.order_by("at", "pk")
    assert (signup_event.kind, signup_event.source) == ("signup", "article-box")
    assert signup_event.wording == CONSENT_WORDING
    assert (signup_event.ip, signup_event.user_agent) == ("203.0.113.7", UA)
    assert (confirm_event.kind, confirm_event.wording) == ("confirm", CONFIRM_WORDING)
    assert (confirm_event.ip, confirm_event.user_agent) == ("198.51.100.9", UA)


def test_confirming_twice_is_harmless(sign_up, mailbox):
    sign_up("twice@example.org")
    path = confirm_path(mailbox.to("twice@example.org")[0])
    assert reader().post(path).status_code == 200
    again = reader().post(path)
    assert again.status_code == 200
    assert "already subscribed" in again.content.decode()
    assert "already subscribed" in reader().get(path).content.decode()
    assert ConsentEvent.objects.filter(kind="confirm").count() == 1


def _box(html: str) -> str:
    box = html[html.index('<section class="module module--newsletter"'):]
    return box[:box.index("</section>")]


def test_the_box_carries_name_honeypot_source_and_the_wording(client):
    story = f.article("A story with a sign-up box")
    box = _box(client.get(f"/articles/{story.slug}/").content.decode())
    assert '<input id="nl-email" name="email" type="email"' in box
    assert '<input id="nl-name" name="name" type="text"' in box
    assert re.search(r'<div class="newsletter-form__trap" hidden aria-hidden="true">', box)
    assert 'name="website"' in box and 'tabindex="-1"' in box
    assert '<input type="hidden" name="source" value="box">' in box
    assert f'<p class="newsletter-form__consent" id="nl-consent">{CONSENT_WORDING}</p>' in box
    # One rendering shared by every page (and cacheable): nothing page-specific in it.
    assert _box(client.get("/").content.decode()) == box
    assert _box(client.get("/briefs/").content.decode()) == box


@pytest.mark.parametrize("posted,referer,source", [
    ("box", "http://127.0.0.1/articles/a-story/", "article-box"),
    ("box", "http://127.0.0.1/", "home-box"),
    ("box", "http://127.0.0.1/section/europe/?page=2", "section-box"),
    ("box", "http://127.0.0.1/briefs/", "briefs-box"),
    ("box", "http://127.0.0.1/about/", "site-box"),
    ("box", "https://elsewhere.example/articles/x/", "site-box"),
    ("box", "", "site-box"),
    ("newsletter-page", "http://127.0.0.1/newsletter/", "newsletter-page"),
    ("<script>", "http://127.0.0.1/articles/a-story/", "article-box"),
])
def test_the_consent_source_names_where_the_form_was(sign_up, mailbox, posted, referer, source):
    sign_up("src@example.org", source=posted, referer=referer)
    assert ConsentEvent.objects.get().source == source
    assert Subscriber.objects.get().source == source


def test_the_confirmation_is_sent_only_after_commit(django_capture_on_commit_callbacks, mailbox):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = reader().post("/newsletter/", {"email": "later@example.org"})
    assert response.status_code == 303
    assert len(callbacks) == 1
    assert mailbox.to("later@example.org") == []  # nothing sent inside the transaction
    callbacks[0]()
    assert len(mailbox.to("later@example.org")) == 1


# --- No enumeration, cooldown, re-sign-up -----------------------------------------------------


def test_same_response_whatever_the_address_status(sign_up, mailbox):
    Subscriber.objects.create(email="pending@example.org")
    Subscriber.objects.create(email="confirmed@example.org", status="confirmed")
    Subscriber.objects.create(email="gone@example.org", status="unsubscribed")
    responses = [sign_up(e) for e in ("new@example.org", "pending@example.org",
                                      "confirmed@example.org", "gone@example.org")]
    responses.append(sign_up("bot@example.org", website="http://spam.example"))
    shapes = {(r.status_code, r["Location"], r.content, r["Cache-Control"]) for r in responses}
    assert shapes == {(303, "/newsletter/thanks/", b"", "private, no-store")}
    # One sign-up event each (the bot stored nothing); mail only where a confirmation is due.
    assert ConsentEvent.objects.filter(kind__in=["signup", "resubscribe"]).count() == 4
    assert {r.recipients[0] for r in mailbox.messages} == {
        "new@example.org", "pending@example.org", "gone@example.org"}


def test_unsubscribed_address_signing_up_again_returns_to_pending(sign_up, mailbox):
    gone = Subscriber.objects.create(email="back@example.org", status="unsubscribed",
                                     unsubscribed_at=timezone.now())
    sign_up("back@example.org", name="Back Again")
    gone.refresh_from_db()
    assert gone.status == Subscriber.Status.PENDING
    assert gone.name == "Back Again"
    assert gone.events.get().kind == ConsentEvent.Kind.RESUBSCRIBE
    path = confirm_path(mailbox.to("back@example.org")[0])
    reader().post(path)
    gone.refresh_from_db()
    assert gone.status == Subscriber.Status.CONFIRMED


def test_confirmed_address_keeps_its_name_and_gets_no_email(sign_up, mailbox):
    Subscriber.objects.create(email="kept@example.org", name="Real Name", status="confirmed")
    sign_up("kept@example.org", name="Someone Else")
    kept = Subscriber.objects.get(email="kept@example.org")
    assert (kept.name, kept.status) == ("Real Name", "confirmed")
    assert mailbox.messages == []


def test_bounced_and_complained_addresses_stay_suppressed(sign_up, mailbox):
    Subscriber.objects.create(email="dead@example.org", status="bounced")
    Subscriber.objects.create(email="angry@example.org", status="complained")
    sign_up("dead@example.org")
    sign_up("angry@example.org")
    assert set(Subscriber.objects.values_list("status", flat=True)) == {"bounced", "complained"}
    assert ConsentEvent.objects.filter(kind="signup").count() == 2
    assert mailbox.messages == []


def test_one_confirmation_per_cooldown(sign_up, mailbox, settings):
    settings.NEWSLETTER_CONFIRM_COOLDOWN = 900
    for _ in range(3):
        assert sign_up("eager@example.org").status_code == 303
    assert len(mailbox.to("eager@example.org")) == 1
    assert ConsentEvent.objects.filter(kind="signup").count() == 3

    # After the cooldown, a new sign-up sends a fresh link; both links confirm the address.
    Subscriber.objects.update(confirmation_sent_at=timezone.now() - timedelta(seconds=901))
    sign_up("eager@example.org")
    first, second = mailbox.to("eager@example.org")
    assert reader().post(confirm_path(second)).status_code == 200
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED


# --- Abuse ------------------------------------------------------------------------------------


def test_honeypot_gets_the_same_answer_and_stores_nothing(sign_up, mailbox):
    response = sign_up("bot@example.org", website="http://cheap-pills.example")
    assert (response.status_code, response["Location"]) == (303, "/newsletter/thanks/")
    assert counts() == (0, 0)
    assert mailbox.messages == []


def test_rate_limit_per_ip(sign_up, mailbox, settings):
    settings.NEWSLETTER_RATE_PER_IP = "2/h"
    crowd = reader(ip="192.0.2.50")
    assert sign_up("one@example.org", client=crowd).status_code == 303
    assert sign_up("two@example.org", client=crowd).status_code == 303
    before = counts()
    limited = sign_up("three@example.org", client=crowd)
    assert limited.status_code == 429
    assert "Too many sign-ups" in limited.content.decode()
    assert limited["Retry-After"] == "3600"
    assert limited["Cache-Control"] == "private, no-store"
    assert counts() == before
    assert mailbox.to("three@example.org") == []
    # Another network is not affected.
    assert sign_up("three@example.org", client=reader(ip="192.0.2.51")).status_code == 303


def test_rate_limit_per_address(sign_up, mailbox, settings):
    settings.NEWSLETTER_RATE_PER_ADDRESS = "2/10m"
    for ip in ("192.0.2.1", "192.0.2.2"):
        assert sign_up("target@example.org", client=reader(ip=ip)).status_code == 303
    before = counts()
    limited = sign_up("target@example.org", client=reader(ip="192.0.2.3"))
    assert limited.status_code == 429
    assert limited["Retry-After"] == "600"
    assert counts() == before


def test_rate_limit_counts_only_the_window(sign_up, settings):
    settings.NEWSLETTER_RATE_PER_IP = "1/h"
    assert sign_up("early@example.org").status_code == 303
    assert sign_up("late@example.org").status_code == 429
    ConsentEvent.objects.update(at=timezone.now() - timedelta(hours=1, seconds=1))
    assert sign_up("late@example.org").status_code == 303


@pytest.mark.parametrize("text,rate", [
    ("20/h", Rate(20, 3600)), ("5/15m", Rate(5, 900)), ("100/d", Rate(100, 86400)),
    ("3/s", Rate(3, 1)), (" 7 / 2h ", Rate(7, 7200)),
])
def test_parse_rate(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "20", "20/w", "h/20", "-1/h", "20/h/1"])
def test_parse_rate_refuses_nonsense(text):
    with pytest.raises(ImproperlyConfigured):
        parse_rate(text)


# --- Bad input --------------------------------------------------------------------------------

TEN_KB = "x" * 10 * 1024


@pytest.mark.parametrize("email,name,message", [
    ("not-an-email", "", "Enter a valid email address"),
    ("a@", "", "Enter a valid email address"),
    ("@example.org", "", "Enter a valid email address"),
    ("two words@example.org", "", "Enter a valid email address"),
    ("", "", "Enter your email address"),
    ("victim@example.org\r\nBcc: many@example.net", "", "must be on one line"),
    ("victim@example.org\n", "", "must be on one line"),
    ("victim@example.org\r", "", "must be on one line"),
    ("ok@example.org", "Ada\r\nBcc: many@example.net", "Your name must be on one line"),
    ("ok@example.org", "Ada\n", "Your name must be on one line"),
    (TEN_KB + "@example.org", "", "at most 254 characters"),
    ("ok@example.org", TEN_KB, "at most 100 characters"),
])
def test_bad_input_is_refused_with_a_clear_message(sign_up, mailbox, email, name, message):
    response = sign_up(email, name=name)
    body = response.content.decode()
    assert response.status_code == 400
    assert response["Cache-Control"] == "private, no-store"
    assert "Please check the form" in body and message in body
    assert 'role="alert"' in body
    assert counts() == (0, 0)
    assert mailbox.messages == []


def test_names_in_to_headers_are_sanitised_however_they_were_stored(mailbox):
    subscriber = Subscriber.objects.create(email="hdr@example.org",
                                           name="Eve\r\nBcc: victim@example.net")
    assert confirmation_send(subscriber_id=subscriber.pk)
    [received] = mailbox.messages
    assert received.recipients == ["hdr@example.org"]
    assert received.message["To"] == '"Eve Bcc: victim@example.net" <hdr@example.org>'
    assert received.message["Bcc"] is None


# --- Expired and tampered links -------------------------------------------------------------


def _pending_with_path(email="link@example.org"):
    subscriber = Subscriber.objects.create(email=email)
    return subscriber, tokens.confirm_url(subscriber)[len(django_settings.SITE_URL):]


def _assert_refused(response):
    assert response.status_code == 400
    assert response["Cache-Control"] == "private, no-store"
    assert "This link is not valid" in response.content.decode()
    assert "sign up again" in response.content.decode()


def test_expired_link_is_refused_and_changes_nothing(settings):
    subscriber, path = _pending_with_path()
    settings.NEWSLETTER_CONFIRM_MAX_AGE = -1
    _assert_refused(reader().get(path))
    _assert_refused(reader().post(path))
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    assert ConsentEvent.objects.count() == 0


class SignedLongAgo(signing.TimestampSigner):
    def timestamp(self):
        return signing.b62_encode(int(time.time()) - 8 * 86400)


def test_link_signed_longer_ago_than_max_age_is_refused():
    subscriber = Subscriber.objects.create(email="old@example.org")
    token = SignedLongAgo(salt=tokens.CONFIRM_SALT).sign_object(
        [subscriber.pk, subscriber.email], compress=True)
    _assert_refused(reader().get(f"/newsletter/confirm/{token}/"))
    _assert_refused(reader().post(f"/newsletter/confirm/{token}/"))
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    # The same token signed now is accepted: it is the age that was refused.
    fresh = signing.TimestampSigner(salt=tokens.CONFIRM_SALT).sign_object(
        [subscriber.pk, subscriber.email], compress=True)
    assert reader().post(f"/newsletter/confirm/{fresh}/").status_code == 200


def test_tampered_link_is_refused_and_changes_nothing():
    subscriber, path = _pending_with_path()
    token = path.split("/")[3]
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for bad in (flipped, token + "x", "garbage", token.split(":")[0]):
        _assert_refused(reader().get(f"/newsletter/confirm/{bad}/"))
        _assert_refused(reader().post(f"/newsletter/confirm/{bad}/"))
    # A genuine token for another address (the address changed) does not confirm this one.
    other = signing.dumps([subscriber.pk, "someone-else@example.org"], salt=tokens.CONFIRM_SALT,
                          compress=True)
    _assert_refused(reader().post(f"/newsletter/confirm/{other}/"))
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    assert ConsentEvent.objects.count() == 0


def test_confirm_link_of_an_unsubscribed_address_does_not_resubscribe():
    subscriber, path = _pending_with_path()
    Subscriber.objects.update(status="unsubscribed")
    _assert_refused(reader().get(path))
    _assert_refused(reader().post(path))
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed"


# --- 50 concurrent sign-ups ------------------------------------------------------------------

CONCURRENT_SCRIPT = r"""
import json, threading
import django
django.setup()
from django.db import connections
from django.test import Client
from masthead.newsletter.models import ConsentEvent, Subscriber

N = 50
barrier = threading.Barrier(N)
statuses, errors = [], []

def sign_up(i):
    client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1",
                    REMOTE_ADDR=f"10.1.0.{i + 1}", HTTP_USER_AGENT=f"thread-{i}")
    try:
        barrier.wait()
        statuses.append(client.post("/newsletter/", {"email": "Same@Example.org "}).status_code)
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connections.close_all()

threads = [threading.Thread(target=sign_up, args=(i,)) for i in range(N)]
for t in threads:
    t.start()
for t in threads:
    t.join()
# Phase two: the cooldown claim alone, from 50 threads in autocommit mode (no enclosing
# transaction to serialise them): only the single conditional UPDATE keeps it to one winner.
from masthead.newsletter.services.subscribers import _claim_confirmation
other = Subscriber.objects.create(email="claim@example.org")
claim_barrier = threading.Barrier(N)
claims = []

def claim():
    try:
        claim_barrier.wait()
        claims.append(_claim_confirmation(other.pk))
    finally:
        connections.close_all()

threads = [threading.Thread(target=claim) for _ in range(N)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print(json.dumps({
    "statuses": statuses, "errors": errors, "claims": claims,
    "vendor": connections["default"].vendor,
    "database": str(connections["default"].settings_dict["NAME"]),
    "subscribers": list(Subscriber.objects.exclude(pk=other.pk).values_list("email", "status")),
    "events": ConsentEvent.objects.filter(kind="signup").count(),
    "ips": ConsentEvent.objects.values("ip").distinct().count(),
}))
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_concurrent_sign_ups_of_one_address(tmp_path, smtp_server, mailbox,
                                                   scratch_template):
    """50 threads post the same address at once to the real view, in a subprocess on a copy of
    the migrated test database (file-based SQLite in WAL with IMMEDIATE transactions, or a
    PostgreSQL database): the in-memory test database cannot be shared between threads."""
    database = scratch_template.copy(tmp_path)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "masthead.test_settings",
        "DATABASE_URL": database.url,
        "VAR_DIR": str(tmp_path / "var"),
        "TASK_BACKEND": "immediate",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
        "NEWSLETTER_RATE_PER_IP": "1000/h",
        "NEWSLETTER_RATE_PER_ADDRESS": "1000/h",
    }
    done = subprocess.run([sys.executable, "-c", CONCURRENT_SCRIPT], env=env, timeout=300,
                          capture_output=True, text=True, cwd=Path(django_settings.BASE_DIR))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["database"] == database.name
    assert result["errors"] == []
    assert result["statuses"] == [303] * 50
    assert result["subscribers"] == [["same@example.org", "pending"]]
    assert result["events"] == 50
    assert result["ips"] == 50
    assert len(mailbox.to("same@example.org")) == 1
    assert sorted(result["claims"]) == [False] * 49 + [True]
