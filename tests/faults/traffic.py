"""Readers and editors writing through a real app server, and what the server acknowledged.

Each loop runs in a thread until `stop` is set, and records a write only once the server has
answered it with its success status: that is the promise the faults tests hold the app to.
A request the server never answered (it was killed, the database was down) is recorded as an
attempt only.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from masthead.core import localservices
from tests.adminforms import article_form

TIMEOUT = 15


def app_env(var_dir: Path, database_url: str, static_root: Path) -> dict:
    """The whole environment of the app server and worker under test.

    The test settings are the production settings but for static files stored uncompressed:
    WhiteNoise's compression would cost the first server 30 s of CPU here, and static files
    play no part in these faults. The page cache is on, as in production.
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_URL", "CACHE_URL", "EMAIL_", "VARNISH_", "PAGE_CACHE"))}
    env.update(DJANGO_SETTINGS_MODULE="masthead.test_settings", PAGE_CACHE_SECONDS="300",
               VAR_DIR=str(var_dir),
               SECRET_KEY="faults-test-only", TASK_BACKEND="database", DATABASE_URL=database_url,
               STATIC_ROOT=str(static_root), EMAIL_URL=f"outbox://{var_dir / 'outbox'}",
               SCHEDULER_INTERVAL="0.5", WORKER_POLL_INTERVAL="0.1",
               NEWSLETTER_RATE_PER_IP="100000/h", PYTHONUNBUFFERED="1")
    return env


def wait_until(predicate, timeout: float, what: str, logs=()):
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}\n" + "\n".join(
                localservices.log_tail(p) for p in logs))
        time.sleep(0.1)
    return result


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: str


def request(base: str, method: str, path: str, *, form: dict | None = None,
            cookies: dict | None = None) -> Reply:
    """One HTTP request on a fresh connection (OSError if the server is gone, also when it went
    in the middle of its answer: a reply cut short acknowledged nothing)."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=TIMEOUT)
    headers = {}
    body = None
    if form is not None:
        body = urlencode(form, doseq=True)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read().decode(errors="replace"))
    except http.client.HTTPException as exc:  # IncompleteRead: killed while it was answering
        raise ConnectionAbortedError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        conn.close()


@dataclass
class Ledger:
    """What was tried and what the server acknowledged, per kind of write."""

    signups: list[str] = field(default_factory=list)
    unsubscribes: list[int] = field(default_factory=list)
    publishes: list[tuple[int, str]] = field(default_factory=list)  # (page id, title)
    attempted_publishes: list[tuple[int, str]] = field(default_factory=list)
    failures: list[Reply] = field(default_factory=list)  # every 5xx answer, to inspect
    # (phase, kind, status or error name); a request that began in one phase and ended in
    # another counts in the phase "between".
    statuses: Counter = field(default_factory=Counter)
    phase: str = "before"
    lock: threading.Lock = field(default_factory=threading.Lock)
    publishing: threading.Event = field(default_factory=threading.Event)

    def note(self, began: str, kind: str, outcome) -> None:
        with self.lock:
            self.statuses[(began if began == self.phase else "between", kind, outcome)] += 1

    def outcomes(self, phase: str | None = None, kind: str | None = None) -> Counter:
        return Counter({o: n for (p, k, o), n in self.statuses.items()
                        if phase in (None, p) and kind in (None, k)})

    def count(self, kind: str) -> int:
        return len(getattr(self, kind))


def _attempt(ledger: Ledger, kind: str, *args, **kwargs) -> Reply | None:
    """request(*args, **kwargs), its outcome noted; None if the server never answered."""
    began = ledger.phase
    try:
        reply = request(*args, **kwargs)
    except OSError as exc:  # connection refused or reset: not acknowledged
        ledger.note(began, kind, type(exc).__name__)
        return None
    ledger.note(began, kind, reply.status)
    if reply.status >= 500:
        ledger.failures.append(reply)
    return reply


def sign_ups(base: str, ledger: Ledger, stop: threading.Event, prefix: str) -> None:
    for i in itertools.count():
        if stop.is_set():
            return
        email = f"{prefix}{i}@example.org"
        reply = _attempt(ledger, "signup", base, "POST", "/newsletter/",
                         form={"email": email, "name": f"Reader {i}"})
        if reply is not None and reply.status == 303:
            with ledger.lock:
                ledger.signups.append(email)


def unsubscribes(base: str, ledger: Ledger, stop: threading.Event,
                 tokens: list[tuple[int, str]]) -> None:
    for pk, token in tokens:
        if stop.is_set():
            return
        reply = _attempt(ledger, "unsubscribe", base, "POST", f"/newsletter/unsubscribe/{token}/",
                         form={"List-Unsubscribe": "One-Click"})
        if reply is not None and reply.status == 200 and "unsubscribed" in reply.body:
            with ledger.lock:
                ledger.unsubscribes.append(pk)


def reads(base: str, ledger: Ledger, stop: threading.Event, paths: list[str]) -> None:
    for path in itertools.cycle(paths):
        if stop.is_set():
            return
        _attempt(ledger, "read", base, "GET", path)


# --- Publishing through the Wagtail admin's edit form, as an editor's browser posts it.

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def admin_cookies(base: str, sessionid: str, page_id: int) -> dict:
    """The editor's session plus the CSRF cookie and token the edit form hands out."""
    reply = request(base, "GET", f"/admin/pages/{page_id}/edit/",
                    cookies={"sessionid": sessionid})
    assert reply.status == 200, (reply.status, reply.body[:2000])
    csrf_cookie = re.search(r"csrftoken=([^;]+)", reply.headers.get("Set-Cookie", ""))
    return {"sessionid": sessionid, "csrftoken": csrf_cookie.group(1),
            "_token": CSRF_INPUT.search(reply.body).group(1)}


def publish_form(article: dict, title: str, token: str) -> dict:
    data = article_form(
        title=title, slug=article["slug"], dek=article["dek"], kind=article["kind"],
        section=article["section"], author_row=article["author_row"], author=article["author"],
        top_image=article["top_image"], top_image_alt=article["alt"],
        top_image_credit=article["credit"], body_html=f"<p>{title}: the body.</p>")
    return {**data, "action-publish": "action-publish", "csrfmiddlewaretoken": token}


def publishes(base: str, ledger: Ledger, stop: threading.Event, articles: list[dict],
              cookies: dict) -> None:
    """Publish each article in turn with a new title ("… v1", "… v2"), through the admin."""
    session = {k: v for k, v in cookies.items() if not k.startswith("_")}
    for version in itertools.count(1):
        for article in articles:
            if stop.is_set():
                return
            title = f"Story {article['id']} v{version}"
            with ledger.lock:
                ledger.attempted_publishes.append((article["id"], title))
            form = publish_form(article, title, cookies["_token"])
            ledger.publishing.set()
            reply = _attempt(ledger, "publish", base, "POST", f"/admin/pages/{article['id']}/edit/",
                             form=form, cookies=session)
            ledger.publishing.clear()
            if reply is not None and reply.status == 302 \
                    and "/edit/" not in reply.headers.get("Location", ""):
                with ledger.lock:
                    ledger.publishes.append((article["id"], title))
            elif reply is not None and reply.status < 500:
                raise AssertionError(f"publish refused: {reply.status} {reply.body[:3000]}")


# --- What must hold in the database, read with the vendor's own driver (tests/scratchdb.py).

def _json(value):
    return value if isinstance(value, dict) else json.loads(value)


def record_problems(db) -> list[str]:
    """Every way the reader records disagree with what is live (empty when all is well)."""
    live = {pk: (title, rev) for pk, title, rev in db.query(
        "SELECT p.id, p.title, p.live_revision_id FROM wagtailcore_page p "
        "JOIN editorial_articlepage a ON a.page_ptr_id = p.id WHERE p.live")}
    records = dict(db.query("SELECT page_id, headline FROM editorial_publishedarticle"))
    problems = [f"live page {pk} has no record" for pk in live.keys() - records.keys()]
    problems += [f"record of page {pk}, which is not live" for pk in records.keys() - live.keys()]
    revisions = dict(db.query(
        "SELECT r.id, r.content FROM wagtailcore_revision r JOIN wagtailcore_page p "
        "ON p.live_revision_id = r.id"))
    for pk in live.keys() & records.keys():
        title, revision_id = live[pk]
        revision_title = _json(revisions[revision_id])["title"] if revision_id else None
        if not (records[pk] == title == revision_title):
            problems.append(f"page {pk}: record says {records[pk]!r}, page {title!r}, "
                            f"live revision {revision_title!r}")
    for table in ("section", "author"):
        joined = {pk for (pk,) in db.query(
            f"SELECT DISTINCT article_id FROM editorial_publishedarticle{table}")}
        problems += [f"record of page {pk} has no {table} rows" for pk in records.keys() - joined]
        problems += [f"{table} rows without a record: page {pk}" for pk in joined - records.keys()]
    return problems


def record_problems_after(db, timeout: float) -> list[str]:
    """record_problems(), once they are gone or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while (problems := record_problems(db)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return problems
