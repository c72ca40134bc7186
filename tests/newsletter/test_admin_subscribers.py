"""Newsletter → Subscribers in the Wagtail admin: who sees it, and everything on it."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.http import StreamingHttpResponse
from django.test import RequestFactory
from django.urls import get_resolver
from django.utils import timezone
from wagtail.admin.menu import admin_menu

from masthead.newsletter import selectors_subscribers
from masthead.newsletter.models import ConsentEvent, Subscriber

pytestmark = pytest.mark.django_db

INDEX = "/admin/newsletter/subscribers/"
IMPORT = INDEX + "import/"
GROWTH = INDEX + "growth/"


def history(pk: int) -> str:
    return f"{INDEX}history/{pk}/"


def _user(username: str, group: str, *codenames: str) -> User:
    """A user in `group` ("Contributors"), or with admin access and exactly `codenames`."""
    user = User.objects.create_user(username, f"{username}@example.org", "pw")
    if group == "Contributors":
        user.groups.add(Group.objects.get(name=group))
    else:
        role, _ = Group.objects.get_or_create(name=group)
        role.permissions.add(Permission.objects.get(codename="access_admin"))
        user.groups.add(role)
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="newsletter", codename__in=codenames))
    return user


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client
    return login


@pytest.fixture
def editor(as_user):
    return as_user(_user("editor", "Newsletter staff", "view_subscriber", "add_subscriber",
                         "change_subscriber"))


@pytest.fixture
def viewer(as_user):
    return as_user(_user("viewer", "Readers of lists", "view_subscriber"))


@pytest.fixture
def people():
    rows = [("ada@example.org", "Ada Lovelace", "confirmed"),
            ("grace@example.org", "Grace Hopper", "confirmed"),
            ("alan@example.net", "Alan Turing", "pending"),
            ("gone@example.org", "Gone Away", "unsubscribed"),
            ("dead@example.org", "", "bounced")]
    return {e: Subscriber.objects.create(email=e, name=n, status=s) for e, n, s in rows}


def menu_labels(user) -> dict[str, list[str]]:
    get_resolver().resolve("/admin/")  # as in a request: the admin URLs register viewsets
    request = RequestFactory().get("/admin/")
    request.user = user
    menu = {}
    for item in admin_menu.menu_items_for_request(request):
        sub = getattr(item, "menu", None)
        menu[item.label] = [i.label for i in sub.menu_items_for_request(request)] if sub else []
    return menu


def emails_listed(response) -> set[str]:
    return set(re.findall(r"[\w.+-]+@example\.(?:org|net)", response.content.decode())) - {
        "editor@example.org", "viewer@example.org"}


# --- Who sees it ------------------------------------------------------------------------------


def test_the_newsletter_menu_holds_subscribers_for_permitted_users_only():
    editor = _user("menu-editor", "Newsletter staff", "view_subscriber")
    contributor = _user("menu-contributor", "Contributors")
    assert "Subscribers" in menu_labels(editor)["Newsletter"]
    assert "Newsletter" not in menu_labels(contributor)


def test_contributors_lack_the_newsletter_permissions():
    contributors = Group.objects.get(name="Contributors")
    assert not contributors.permissions.filter(content_type__app_label="newsletter").exists()


@pytest.mark.parametrize("url", [INDEX, INDEX + "?export=csv", IMPORT, GROWTH, "history"])
def test_contributors_cannot_open_any_subscriber_screen(as_user, people, url):
    client = as_user(_user("contrib", "Contributors"))
    url = history(people["ada@example.org"].pk) if url == "history" else url
    response = client.get(url)
    assert response.status_code in (302, 403)
    assert "ada@example.org" not in response.content.decode()
    if response.status_code == 302:
        assert not response["Location"].startswith(INDEX)


def test_view_only_users_can_list_but_not_import_or_unsubscribe(viewer, people):
    assert viewer.get(INDEX).status_code == 200
    assert "Import CSV" not in viewer.get(INDEX).content.decode()
    assert viewer.get(IMPORT).status_code in (302, 403)
    ada = people["ada@example.org"]
    assert viewer.post(f"{INDEX}unsubscribe/{ada.pk}/").status_code in (302, 403)
    ada.refresh_from_db()
    assert ada.status == "confirmed"


# --- The listing -----------------------------------------------------------------------------


def test_listing_counts_search_and_filter(editor, people):
    response = editor.get(INDEX)
    html = response.content.decode()
    assert response.status_code == 200
    assert emails_listed(response) == set(people)
    counts = dict(re.findall(
        r'<li data-status="(\w+)">.*?<span class="subscriber-count">(\d+)</span>', html, re.S))
    assert counts == {"pending": "1", "confirmed": "2", "unsubscribed": "1", "bounced": "1",
                      "complained": "0"}
    assert f'href="{INDEX}?status=confirmed"' in html

    assert emails_listed(editor.get(INDEX, {"q": "example.net"})) == {"alan@example.net"}
    assert emails_listed(editor.get(INDEX, {"q": "hopper"})) == {"grace@example.org"}
    assert emails_listed(editor.get(INDEX, {"status": "confirmed"})) == {
        "ada@example.org", "grace@example.org"}
    assert emails_listed(editor.get(INDEX, {"status": "confirmed", "q": "ada"})) == {
        "ada@example.org"}
    # The email links to the subscriber's history; there are no edit or delete screens.
    assert f'href="{history(people["ada@example.org"].pk)}"' in html
    assert editor.get(f"{INDEX}edit/{people['ada@example.org'].pk}/").status_code == 404
    assert editor.get(f"{INDEX}new/").status_code == 404


def test_export_streams_every_matching_row(editor):
    Subscriber.objects.bulk_create(
        [Subscriber(email=f"s{i:03}@example.org", status="confirmed") for i in range(130)]
        + [Subscriber(email=f"p{i:03}@example.org") for i in range(5)]
        + [Subscriber(email="=HYPERLINK(1)@example.org", name="+cmd|' /C calc'!A0",
                      status="confirmed")]
    )
    response = editor.get(INDEX, {"status": "confirmed", "export": "csv"})
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 131  # past the 50-row page: all of them
    assert {r["Status"] for r in rows} == {"confirmed"}
    assert set(rows[0]) == {"Email", "Name", "Status", "Source", "Created at", "Confirmed at",
                            "Unsubscribed at"}
    risky = next(r for r in rows if "HYPERLINK" in r["Email"])
    assert risky["Email"] == "'=HYPERLINK(1)@example.org"
    assert risky["Name"] == "'+cmd|' /C calc'!A0"


# --- History and unsubscribe ------------------------------------------------------------------


def test_history_shows_consent_events_in_order(editor, people):
    ada = people["ada@example.org"]
    ConsentEvent.objects.create(subscriber=ada, kind="signup", source="article-box",
                                ip="203.0.113.5", user_agent="Firefox/140",
                                wording="By subscribing you agree")
    ConsentEvent.objects.create(subscriber=ada, kind="confirm", source="confirm-page",
                                ip="203.0.113.6", wording="Yes, send it")
    html = editor.get(history(ada.pk)).content.decode()
    table = html[html.index('id="consent-events"'):]
    assert re.findall(r'<tr data-kind="(\w+)">', table) == ["signup", "confirm"]
    for text in ("article-box", "203.0.113.5", "Firefox/140", "By subscribing you agree",
                 "203.0.113.6", "Yes, send it"):
        assert text in table
    assert editor.get(history(999999)).status_code == 404


def test_editor_unsubscribes_from_the_history_page(editor, people):
    ada = people["ada@example.org"]
    page = editor.get(history(ada.pk)).content.decode()
    assert f'action="{INDEX}unsubscribe/{ada.pk}/"' in page
    response = editor.post(f"{INDEX}unsubscribe/{ada.pk}/")
    assert response.status_code == 302 and response["Location"] == history(ada.pk)
    ada.refresh_from_db()
    assert ada.status == "unsubscribed"
    event = ada.events.get()
    assert (event.kind, event.source) == ("unsubscribe", "admin:editor")
    assert editor.get(f"{INDEX}unsubscribe/{ada.pk}/").status_code == 405
    assert "unsubscribe/" not in editor.get(history(ada.pk)).content.decode().split(
        'id="consent-events"')[1]


# --- Import -----------------------------------------------------------------------------------


def upload(client, content: bytes, source="Book fair sign-up sheet, May 2026"):
    return client.post(IMPORT, {"file": SimpleUploadedFile("people.csv", content, "text/csv"),
                                "consent_source": source})


def report_counts(response) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<',
                                             response.content.decode())}


def test_import_confirms_valid_rows_and_reports_the_rest(editor, people):
    pending = people["alan@example.net"]
    csv_text = (
        b"email,name\n"                       # 1: header, skipped
        b"new.one@example.org,New One\n"      # 2: created
        b"NEW.TWO@example.org\n"              # 3: created, lower-cased
        b"not-an-address,Bad\n"               # 4: invalid
        b"alan@example.net,Alan\n"            # 5: pending -> confirmed
        b"gone@example.org\n"                 # 6: unsubscribed, kept
        b"dead@example.org\n"                 # 7: bounced, kept
        b"ada@example.org\n"                  # 8: already confirmed
        b"new.one@example.org\n"              # 9: duplicate of line 2
        b"x@example.org,a,b\n"                # 10: too many columns
        b'"line@example.org","Two\nLines"\n'  # 11-12: control characters in the name
        b"\n"                                 # 13: blank, ignored
    )
    response = upload(editor, csv_text)
    assert response.status_code == 200
    assert report_counts(response) == {"created": 2, "confirmed": 1, "already": 1, "kept": 2,
                                       "invalid": 4}
    html = response.content.decode()
    invalid = dict(re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td></tr>",
                              html[html.index('id="import-invalid"'):]))
    assert set(invalid) == {"4", "9", "10", "12"}
    assert "duplicate of line 2" in invalid["9"]
    assert "gone@example.org" in html[html.index('id="import-kept"'):]

    new = Subscriber.objects.get(email="new.one@example.org")
    assert (new.name, new.status) == ("New One", "confirmed") and new.confirmed_at
    assert Subscriber.objects.get(email="new.two@example.org").status == "confirmed"
    pending.refresh_from_db()
    assert pending.status == "confirmed"
    for email, status in [("gone@example.org", "unsubscribed"), ("dead@example.org", "bounced")]:
        assert Subscriber.objects.get(email=email).status == status
    assert not Subscriber.objects.filter(email__in=["x@example.org", "line@example.org",
                                                    "not-an-address"]).exists()

    events = ConsentEvent.objects.filter(kind="import")
    assert events.count() == 3
    assert {e.source for e in events} == {"import:Book fair sign-up sheet, May 2026"}
    assert {e.detail["imported_by"] for e in events} == {"editor"}
    assert events.get(subscriber=pending).detail["previous_status"] == "pending"


def test_import_is_all_or_nothing(editor, monkeypatch):
    def clash(*args, **kwargs):
        raise IntegrityError("UNIQUE constraint failed: newsletter_subscriber.email")

    monkeypatch.setattr(ConsentEvent.objects, "bulk_create", clash)
    response = upload(editor, b"a@example.org\nb@example.org\n")
    assert response.status_code == 200
    assert "nothing was imported" in response.content.decode()
    assert Subscriber.objects.count() == 0


@pytest.mark.parametrize("content,source,message", [
    (b"a@example.org\n", "", "This field is required"),
    (b"a@example.org\n", "Fair\r\nX", "Keep the consent source on one line"),
    (b"\xff\xfe\x00a\x00@", "Fair", "not UTF-8"),
    (b"email,name\n", "Fair", "no subscribers in it"),
])
def test_import_form_errors_store_nothing(editor, content, source, message):
    response = upload(editor, content, source=source)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Subscriber.objects.count() == 0 and ConsentEvent.objects.count() == 0


# --- Growth chart -----------------------------------------------------------------------------


def _event(subscriber, kind, when, **detail):
    e = ConsentEvent.objects.create(subscriber=subscriber, kind=kind, detail=detail)
    ConsentEvent.objects.filter(pk=e.pk).update(at=when)


@pytest.fixture
def history_of_growth(people):
    """Monday 2 Nov 2026 is week one. Two join in week one, one more in week two, one of the
    first two leaves in week three; a pending address unsubscribing changes nothing."""
    at = lambda d: timezone.make_aware(datetime(2026, 11, d, 12))  # noqa: E731
    ada, grace, alan, gone = (people[e] for e in ("ada@example.org", "grace@example.org",
                                                  "alan@example.net", "gone@example.org"))
    _event(ada, "confirm", at(2), previous_status="pending")
    _event(grace, "import", at(4), previous_status="")
    _event(gone, "confirm", at(10), previous_status="pending")
    _event(gone, "unsubscribe", at(17), previous_status="confirmed")
    _event(alan, "unsubscribe", at(18), previous_status="pending")
    _event(ada, "confirm", timezone.make_aware(datetime(2026, 10, 1)), previous_status="pending")
    return date(2026, 11, 18)


def test_confirmed_by_week_from_the_consent_log(history_of_growth):
    weeks = selectors_subscribers.confirmed_by_week(weeks=4, today=history_of_growth)
    assert [(w.start, w.joined, w.left, w.total) for w in weeks] == [
        (date(2026, 10, 26), 0, 0, 1),  # the October confirmation is before the window
        (date(2026, 11, 2), 2, 0, 3),
        (date(2026, 11, 9), 1, 0, 4),
        (date(2026, 11, 16), 0, 1, 3),
    ]


def test_growth_page_draws_an_svg_bar_per_week_without_scripts(editor, history_of_growth,
                                                               monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: history_of_growth)
    response = editor.get(GROWTH)
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('<figure class="subscriber-growth">')
    figure = html[start:html.index("</table>", start)]
    bars = re.findall(r'<rect class="growth-bar" data-week="([\d-]+)" data-total="(\d+)"', figure)
    assert len(bars) == 26
    assert bars[-3:] == [("2026-11-02", "3"), ("2026-11-09", "4"), ("2026-11-16", "3")]
    heights = [float(h) for h in re.findall(r'class="growth-bar".*? height="([\d.]+)"', figure)]
    assert heights[-2] == max(heights) > heights[-1] > 0
    assert "<script" not in figure and " style=" not in figure
    assert 'role="img"' in figure and "<title" in figure
    assert '<table class="listing" id="growth-table">' in figure


def test_growth_with_no_subscribers_is_an_empty_chart(editor):
    html = editor.get(GROWTH).content.decode()
    assert html.count('class="growth-bar"') == 26
    assert 'height="0' in html


def test_recent_weeks_are_listed_in_the_table(editor, people):
    ConsentEvent.objects.create(subscriber=people["ada@example.org"], kind="confirm",
                                detail={"previous_status": "pending"})
    html = editor.get(GROWTH).content.decode()
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    row = re.search(rf"<tr><td>{monday:%-d %b %Y}</td><td>(\d+)</td><td>(\d+)</td>"
                    rf"<td>(\d+)</td></tr>", html)
    assert row and row.groups() == ("1", "0", "1")
