"""kill -9 the app server and the worker under writes; restart; nothing acknowledged is lost.

The app (`masthead serve`, granian) and the worker run as subprocesses against a copy of the
migrated test database (tests/scratchdb.py). Readers sign up and unsubscribe while an editor
publishes articles through the Wagtail admin's edit form; the server's process group and the
worker are SIGKILLed while a publish is in flight, then both are started again. Every write the
server acknowledged must be there, and the reader records must agree with what is live.

Wagtail commits a publish before the record is written (by the `page_published` receiver), so
a kill between the two would leave a live page without its record, or with an old one: the
first test dies exactly there, on purpose, and the restarted worker's clock must repair it.
(The newsletter send killed mid-way is tests/newsletter/test_crash.py.)
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

from masthead.core import localservices
from tests.faults import traffic

# django_db so that the test database exists to be copied; the tests write nothing to it.
# postgres: `make test` runs them again with the database on PostgreSQL.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = 3
UNSUBSCRIBERS = 400

SETUP = f"""
import json, django; django.setup()
from django.contrib.auth.models import User
from django.test import Client
from masthead.newsletter.models import Subscriber
from masthead.newsletter.tokens import unsubscribe_token
from tests import factories as f
image = f.image("Shared", size=(480, 270))
articles = [f.article(f"Story {{i}} v0", top_image=image) for i in range({ARTICLES})]
readers = Subscriber.objects.bulk_create(
    [Subscriber(email=f"leaving{{i}}@example.org", status="confirmed")
     for i in range({UNSUBSCRIBERS})])
editor = User.objects.create_superuser("faults-editor", "editor@example.org", None)
client = Client()
client.force_login(editor)
print(json.dumps({{
    "articles": [{{"id": a.pk, "slug": a.slug, "dek": a.dek, "kind": a.kind_id,
                  "section": a.section_id, "author_row": a.authors.first().pk,
                  "author": a.authors.first().author_id, "top_image": a.top_image_id,
                  "alt": a.top_image_alt, "credit": a.top_image_credit}} for a in articles],
    "tokens": [[s.pk, unsubscribe_token(s.pk)] for s in
               Subscriber.objects.filter(email__startswith="leaving")],
    "sessionid": client.cookies["sessionid"].value,
}}))
"""

# Publish (or unpublish) one article and die where a crash hurts most: the page's new state is
# committed, its record not yet written (the record's receiver is swapped for a SIGKILL).
DIE_MID_PUBLISH = """
import os, signal, sys, django; django.setup()
from wagtail.signals import page_published, page_unpublished
from masthead.editorial import signal_handlers
from masthead.editorial.models import ArticlePage

def die(**kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

page = ArticlePage.objects.get(pk=int(sys.argv[2]))
if sys.argv[1] == "publish":
    page_published.disconnect(signal_handlers.on_article_published, sender=ArticlePage)
    page_published.connect(die, sender=ArticlePage)
    page.title = sys.argv[3]
    page.save_revision().publish()
else:
    page_unpublished.disconnect(signal_handlers.on_article_unpublished, sender=ArticlePage)
    page_unpublished.connect(die, sender=ArticlePage)
    page.unpublish()
raise SystemExit("still alive")
"""


def run(script: str, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script, *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def setup_content(env: dict) -> dict:
    done = run(SETUP, {**env, "TASK_BACKEND": "immediate"})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_app_and_worker(env: dict, cleanup: ExitStack):
    """The app server and the worker, started side by side, stopped by `cleanup`."""
    with ThreadPoolExecutor(2) as pool:
        starting = [pool.submit(localservices.start_app, env, workers=2),
                    pool.submit(localservices.start_worker, env)]
    for future in starting:
        if future.exception() is None:
            cleanup.callback(future.result().stop)
    return tuple(future.result() for future in starting)


def live_title(db, page_id: int) -> tuple[str, str | None]:
    """(the page's title, its record's headline)."""
    return db.query("SELECT p.title, r.headline FROM wagtailcore_page p LEFT JOIN "
                    "editorial_publishedarticle r ON r.page_id = p.id WHERE p.id = ?",
                    (page_id,))[0]


def test_a_publish_killed_before_its_record_is_repaired_by_the_worker(scratch_template,
                                                                     tmp_path, static_root):
    db = scratch_template.copy(tmp_path)
    env = traffic.app_env(tmp_path / "var", db.url, static_root)
    content = setup_content(env)
    changed, withdrawn = (a["id"] for a in content["articles"][:2])

    with ThreadPoolExecutor(2) as pool:
        dying = [pool.submit(run, DIE_MID_PUBLISH, env, "publish", str(changed), "Story v2"),
                 pool.submit(run, DIE_MID_PUBLISH, env, "unpublish", str(withdrawn))]
    for died in (future.result() for future in dying):
        assert died.returncode == -signal.SIGKILL, died.stderr[-3000:]
    # What the kill left: readers would see the old story, and the withdrawn one.
    assert live_title(db, changed) == ("Story v2", "Story 0 v0")
    assert sorted(traffic.record_problems(db)) == sorted([
        f"page {changed}: record says 'Story 0 v0', page 'Story v2', live revision 'Story v2'",
        f"record of page {withdrawn}, which is not live"])

    with ExitStack() as stop:
        worker = localservices.start_worker(env)
        stop.callback(worker.stop)
        problems = traffic.record_problems_after(db, 30)  # the clock's first tick repairs
        assert not problems, (problems, localservices.log_tail(worker.extra["log"]))
    assert live_title(db, changed) == ("Story v2", "Story v2")


def test_kill_9_app_and_worker_under_writes_loses_nothing_acknowledged(scratch_template,
                                                                        tmp_path, static_root):
    db = scratch_template.copy(tmp_path)
    env = traffic.app_env(tmp_path / "var", db.url, static_root)
    content = setup_content(env)
    articles, tokens = content["articles"], [tuple(t) for t in content["tokens"]]
    ledger, stop = traffic.Ledger(), threading.Event()

    with ExitStack() as cleanup:
        app, worker = start_app_and_worker(env, cleanup)
        cookies = traffic.admin_cookies(app.url, content["sessionid"], articles[0]["id"])
        with ThreadPoolExecutor(4) as pool:
            running = [
                pool.submit(traffic.sign_ups, app.url, ledger, stop, "new"),
                pool.submit(traffic.sign_ups, app.url, ledger, stop, "fresh"),
                pool.submit(traffic.unsubscribes, app.url, ledger, stop, tokens),
                pool.submit(traffic.publishes, app.url, ledger, stop, articles, cookies),
            ]
            try:
                traffic.wait_until(
                    lambda: any(f.done() for f in running) or (
                        ledger.count("publishes") > ARTICLES and ledger.count("signups") >= 20
                        and ledger.count("unsubscribes") >= 20),
                    60, "writes to be acknowledged", [app.extra["log"]])
                # Kill while a publish is in flight, at a random point of it.
                traffic.wait_until(ledger.publishing.is_set, 10, "a publish in flight")
                time.sleep(random.uniform(0, 0.15))
                os.killpg(app.proc.pid, signal.SIGKILL)
                os.killpg(worker.proc.pid, signal.SIGKILL)
                app.proc.wait(10)
                worker.proc.wait(10)
            finally:
                stop.set()
                for future in running:
                    future.result()  # a thread's own failure (a refused publish) fails the test
        assert ledger.count("publishes") > ARTICLES, ledger.statuses
        assert 500 not in ledger.outcomes(), ledger.statuses

        app, worker = start_app_and_worker(env, cleanup)
        problems = traffic.record_problems_after(db, 30)
        assert not problems, (problems, localservices.log_tail(worker.extra["log"]))
        assert_acknowledged_writes_kept(db, ledger)

        # The restarted app serves what is live and takes new sign-ups.
        for article in articles:
            title, _ = live_title(db, article["id"])
            page = traffic.request(app.url, "GET", f"/articles/{article['slug']}/")
            assert page.status == 200 and title in page.body
        again = traffic.request(app.url, "POST", "/newsletter/",
                                form={"email": "after@example.org", "name": "After"})
        assert again.status == 303


def assert_acknowledged_writes_kept(db, ledger: traffic.Ledger) -> None:
    signed_up = {email for (email,) in db.query(
        "SELECT s.email FROM newsletter_subscriber s JOIN newsletter_consentevent c "
        "ON c.subscriber_id = s.id WHERE c.kind = 'signup'")}
    assert set(ledger.signups) <= signed_up, set(ledger.signups) - signed_up

    left = {pk for (pk,) in db.query(
        "SELECT s.id FROM newsletter_subscriber s JOIN newsletter_consentevent c "
        "ON c.subscriber_id = s.id WHERE c.kind = 'unsubscribe' AND s.status = 'unsubscribed'")}
    assert set(ledger.unsubscribes) <= left, set(ledger.unsubscribes) - left

    titles = {(int(pk), traffic._json(content)["title"]) for pk, content in db.query(
        "SELECT object_id, content FROM wagtailcore_revision")}
    assert set(ledger.publishes) <= titles, set(ledger.publishes) - titles
    for page_id in {pk for pk, _ in ledger.publishes}:
        attempts = [t for pk, t in ledger.attempted_publishes if pk == page_id]
        last_acknowledged = [t for pk, t in ledger.publishes if pk == page_id][-1]
        live, record = live_title(db, page_id)
        # The last acknowledged version, or one the editor sent after it (in flight at the kill).
        assert live in attempts[attempts.index(last_acknowledged):], (page_id, live, attempts)
        assert record == live
