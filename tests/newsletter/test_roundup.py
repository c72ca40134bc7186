"""The weekly round-up: drafting from published content, the clock, and the rendered email."""

from __future__ import annotations

import email
import email.policy
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from masthead.editorial.models import Kind
from masthead.newsletter import clock, sending
from masthead.newsletter.models import Issue, IssueItem, Subscriber
from masthead.newsletter.services.issues import issue_draft
from tests import factories as f
from tests.sharedrows import shared_rows

# postgres (on the tests that need it): the draft's period and the clock's "that day" are date
# comparisons in SQL, in a time zone; rendering is pinned to a number of queries.
pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # a Monday
NOW = T0 + timedelta(days=4)  # Friday 12:00 UTC


def items(issue: Issue) -> list[str]:
    rows = IssueItem.objects.filter(issue=issue).order_by("sort_order").select_related(
        "article", "brief")
    return [i.article.title if i.article_id else i.brief.headline for i in rows]


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def make_newsroom() -> None:
    """A week of content around a previous issue that ended at T0."""
    Issue.objects.create(subject="Last week", period_start=T0 - timedelta(days=7), period_end=T0,
                         status=Issue.Status.SENT)
    Kind.objects.filter(slug="news").update(in_round_up=False)
    at = lambda hours: T0 + timedelta(hours=hours)  # noqa: E731
    f.article("Old analysis", kind_slug="analysis", published_at=at(-1))
    f.article("Boundary analysis", kind_slug="analysis", published_at=T0)  # last issue's
    f.article("Opinion one", kind_slug="opinion", published_at=at(5))
    f.article("Analysis early", kind_slug="analysis", published_at=at(2))
    f.article("Analysis late", kind_slug="analysis", published_at=at(30))
    f.article("News excluded", kind_slug="news", published_at=at(10))
    f.article("Interview", kind_slug="interview", published_at=at(1))
    f.article("Draft analysis", kind_slug="analysis", published_at=at(3), publish=False)
    f.article("Too new", kind_slug="analysis", published_at=NOW + timedelta(minutes=1))
    f.article("Exactly now", kind_slug="opinion", published_at=NOW)
    f.brief("Brief early", published_at=at(4))
    f.brief("Brief late", published_at=at(40))
    f.brief("Brief unpublished", published_at=at(6), publish=False)
    f.brief("Brief old", published_at=at(-3))


@pytest.fixture(scope="class")
def week(django_db_setup, django_db_blocker, tmp_path_factory):
    """The newsroom, made once per class of tests that only read it (tests/sharedrows.py)."""
    with shared_rows(django_db_blocker, tmp_path_factory):
        make_newsroom()
        yield


@pytest.mark.postgres
class TestTheDraft:
    def test_draft_groups_by_kind_newest_first_then_briefs(self, week):
        issue = issue_draft(now=NOW)
        assert issue.status == Issue.Status.DRAFT
        assert (issue.period_start, issue.period_end) == (T0, NOW)
        # Kinds in their sort order (analysis, opinion, ..., interview); news is not in the
        # round-up.
        assert items(issue) == ["Analysis late", "Analysis early", "Exactly now", "Opinion one",
                                "Interview", "Brief late", "Brief early"]

    def test_a_cancelled_issue_does_not_end_the_period(self, week):
        Issue.objects.create(subject="Cancelled", period_start=T0,
                             period_end=T0 + timedelta(days=2), status=Issue.Status.CANCELLED)
        assert issue_draft(now=NOW).period_start == T0


@pytest.mark.postgres
def test_first_draft_covers_seven_days():
    f.article("Eight days ago", published_at=NOW - timedelta(days=8))
    f.article("Six days ago", published_at=NOW - timedelta(days=6))
    issue = issue_draft(now=NOW)
    assert issue.period_start == NOW - timedelta(days=7)
    assert items(issue) == ["Six days ago"]


# --- the clock ------------------------------------------------------------------------------


@pytest.fixture
def paris(settings):
    settings.TIME_ZONE = "Europe/Paris"
    settings.NEWSLETTER_SEND_WEEKDAY = 4
    settings.NEWSLETTER_DRAFT_TIME = "06:00"


@pytest.mark.postgres
def test_clock_drafts_once_on_the_sending_day_after_the_draft_time(paris):
    friday_0559_paris = datetime(2026, 11, 6, 4, 59, tzinfo=UTC)  # 05:59 in Paris (UTC+1)
    assert clock.tick(friday_0559_paris).drafted is None
    report = clock.tick(friday_0559_paris + timedelta(minutes=1))
    assert report.drafted is not None
    issue = Issue.objects.get(pk=report.drafted)
    assert issue.drafted_for.isoformat() == "2026-11-06"
    assert clock.tick(friday_0559_paris + timedelta(hours=3)).drafted is None
    assert clock.tick(datetime(2026, 11, 5, 12, 0, tzinfo=UTC)).drafted is None  # Thursday
    assert Issue.objects.count() == 1
    # The next Friday drafts the next issue, covering the week since this one.
    report = clock.tick(friday_0559_paris + timedelta(days=7, minutes=1))
    assert Issue.objects.get(pk=report.drafted).period_start == issue.period_end


@pytest.mark.postgres
def test_clock_does_not_draft_when_an_editor_already_drafted_that_day(paris):
    morning = datetime(2026, 11, 6, 4, 0, tzinfo=UTC)  # 05:00 in Paris
    Issue.objects.create(subject="Early", period_start=morning - timedelta(days=7),
                         period_end=morning)  # created_at is now: make it that morning
    Issue.objects.update(created_at=morning)
    assert clock.tick(morning + timedelta(hours=2)).drafted is None


# --- the email --------------------------------------------------------------------------------


def recipient(s: Subscriber) -> sending.Recipient:
    return sending.Recipient(subscriber_id=s.pk, email=s.email, name=s.name)


class TestTheEmail:
    """The round-up as sent, drafted from the newsroom's week."""

    @pytest.fixture
    def issue(self, week):
        issue = issue_draft(now=NOW)
        issue.subject = "The week: élections & markets"
        issue.preheader = "Five stories worth your Friday"
        issue.introduction = "Dear readers,\n\nA busy week <really>."
        issue.save()
        return issue

    @pytest.fixture
    def reader(self):
        return Subscriber.objects.create(email="ana@example.org", name="Ana <Ops> & Co",
                                         status="confirmed", confirmed_at=timezone.now())

    def test_the_message_has_both_parts_the_headers_and_a_visible_unsubscribe_link(
            self, issue, reader, settings):
        settings.NEWSLETTER_UNSUBSCRIBE_MAILTO = "unsubscribe@example.org"
        roundup = sending.render_issue(issue)
        msg = parse(roundup.as_bytes(recipient(reader)))
        assert msg["From"] == django_settings.DEFAULT_FROM_EMAIL
        assert msg["To"].addresses[0].addr_spec == "ana@example.org"
        assert msg["To"].addresses[0].display_name == "Ana <Ops> & Co"
        assert msg["Subject"] == "The week: élections & markets"
        assert msg["Date"].datetime is not None
        assert msg["List-Id"] == f"<{django_settings.NEWSLETTER_LIST_ID}>"
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = sending.tokens.unsubscribe_url(reader.pk)
        token = url.rstrip("/").rsplit("/", 1)[1]
        assert [v.strip() for v in str(msg["List-Unsubscribe"]).split(",")] == [
            f"<{url}>", f"<mailto:unsubscribe@example.org?subject=unsubscribe-{token}>"]
        assert msg.get_content_type() == "multipart/alternative"
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        for part in (text, html):
            assert "Analysis late" in part and "Brief early" in part
            assert url in part
        assert "Hello Ana <Ops> & Co," in text
        assert "Hello Ana &lt;Ops&gt; &amp; Co," in html  # spliced values are escaped in HTML
        assert "A busy week &lt;really&gt;." in html
        assert f'<a href="{url}"' in html and ">Unsubscribe</a>" in html
        assert 'style="' in html and "@media" in html  # CSS inlined, media queries kept
        assert "@@MH:" not in text + html
        assert "Five stories worth your Friday" in html
        assert "News excluded" not in text

    def test_the_encoded_message_is_lean_and_well_formed(self, issue):
        """Parts are quoted-printable pieces spliced with soft breaks: check it decodes exactly."""
        s = Subscriber.objects.create(email="long@example.org", status="confirmed",
                                      name="Ünïcode " + "Long-Name " * 8 + "= & <tag>")
        roundup = sending.render_issue(issue)
        data = roundup.as_bytes(recipient(s))
        body = data.split(b"\r\n\r\n", 1)[1]
        assert b"\n" not in body.replace(b"\r\n", b"")  # CRLF only: what SMTP and DKIM need
        assert max(len(line) for line in body.split(b"\r\n")) <= 76
        msg = parse(data)
        text, html = roundup.bodies(recipient(s))
        assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == text
        assert msg.get_body(("html",)).get_content().replace("\r\n", "\n") == html

    def test_message_id_is_stable_per_issue_and_subscriber(self, issue, reader):
        first = parse(sending.render_issue(issue).as_bytes(recipient(reader)))["Message-ID"]
        second = parse(sending.render_issue(issue).as_bytes(recipient(reader)))["Message-ID"]
        assert first == second
        assert first.startswith(f"<issue-{issue.pk}.sub-{reader.pk}.") and first.endswith("@localhost>")
        other = Subscriber.objects.create(email="bo@example.org", status="confirmed")
        assert parse(sending.render_issue(issue).as_bytes(recipient(other)))["Message-ID"] != first

    def test_a_name_cannot_inject_headers(self, issue, reader):
        evil = sending.Recipient(subscriber_id=reader.pk, email=reader.email,
                                 name='Eve"\r\nBcc: victim@example.org\r\nX-Evil: 1')
        data = sending.render_issue(issue).as_bytes(evil)
        head = data.split(b"\r\n\r\n", 1)[0]
        msg = parse(data)
        assert msg["Bcc"] is None and msg["X-Evil"] is None
        assert [line for line in head.split(b"\r\n") if line.startswith(b"To:")] == [
            b'To: "Eve\\" Bcc: victim@example.org X-Evil: 1" <ana@example.org>']

    def test_non_ascii_names_and_the_generic_message_match(self, issue):
        s = Subscriber.objects.create(email="zoe@example.org", name="Zoë Ørsted", status="confirmed")
        roundup = sending.render_issue(issue)
        fast = parse(roundup.as_bytes(recipient(s)))
        generic = parse(roundup.as_message(recipient(s)).message().as_bytes())
        for msg in (fast, generic):
            assert msg["To"].addresses[0].display_name == "Zoë Ørsted"
            assert msg["Message-ID"] == sending.message_id(issue.pk, s.pk)
            assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            assert "Hello Zoë Ørsted," in msg.get_body(("plain",)).get_content()
        bodies = [m.get_body(("html",)).get_content().replace("\r\n", "\n") for m in (fast, generic)]
        assert bodies[0] == bodies[1]

    @pytest.mark.postgres
    def test_rendering_costs_a_fixed_number_of_queries(self, issue, django_assert_num_queries):
        for i in range(8):
            IssueItem.objects.create(issue=issue, brief=f.brief(f"Extra {i}"), sort_order=100 + i)
        # content token, magazine settings, items, articles, briefs, kinds
        with django_assert_num_queries(6):
            roundup = sending.render_issue(issue)
        assert roundup.html.fill(dict.fromkeys(roundup.html.keys, "")).count("Extra ") == 8

    def test_an_item_no_longer_live_is_left_out(self, issue):
        page = IssueItem.objects.filter(issue=issue, article__isnull=False).first().article
        page.unpublish()
        text = sending.render_issue(issue).text.fill(
            {"greeting": "", "email": "", "unsubscribe_url": ""})
        assert page.title not in text and "Analysis early" in text

    def test_the_one_click_unsubscribe_from_the_header_works(self, issue, reader):
        msg = parse(sending.render_issue(issue).as_bytes(recipient(reader)))
        url = str(msg["List-Unsubscribe"]).split(",")[0].strip()[1:-1]
        path = url[len(django_settings.SITE_URL):]
        response = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1").post(
            path, data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded")
        if response.status_code == 404:
            pytest.skip("the one-click unsubscribe view (/newsletter/unsubscribe/<token>/) is not built")
        assert response.status_code == 200
        reader.refresh_from_db()
        assert reader.status == Subscriber.Status.UNSUBSCRIBED

    def test_dkim_signature_verifies(self, issue, reader, settings, tmp_path):
        dkim = pytest.importorskip("dkim")
        key = tmp_path / "dkim.pem"
        subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True,
                       capture_output=True)
        public = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],
                                check=True, capture_output=True).stdout
        settings.NEWSLETTER_DKIM_KEY_FILE = str(key)
        settings.NEWSLETTER_DKIM_SELECTOR = "mh"
        settings.NEWSLETTER_DKIM_DOMAIN = "example.org"
        data = sending.render_issue(issue).as_bytes(recipient(reader))
        assert data.startswith(b"DKIM-Signature: ")
        import base64

        record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
        assert dkim.verify(data, dnsfunc=lambda name, timeout=5: record
                           if name == b"mh._domainkey.example.org." else None)


@pytest.mark.parametrize("unit", ["x", "=", " ", "é", ".\r\n", "a=b "])
def test_quoted_printable_pieces_always_leave_room_for_a_soft_break(unit):
    import binascii

    for n in range(1, 200):
        text = unit * n
        encoded = sending._qp(text) + sending.SOFT
        assert max(len(line) for line in encoded.split(b"\r\n")) <= 76
        assert binascii.a2b_qp(encoded.replace(b"\r\n", b"\n")).decode().replace(
            "\n", "\r\n") == text
