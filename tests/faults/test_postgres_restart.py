"""PostgreSQL restarted under traffic: clean 503s meanwhile, nothing acknowledged is lost, and
the app recovers on its own.

The test runs its own PostgreSQL (masthead.core.localservices, on loopback), so it runs in the
default SQLite session too: it migrates it, starts the app server on it, and drives reads and
newsletter sign-ups from threads. PostgreSQL is stopped (fast shutdown, by its pid) and started
again on the same data directory and port. While it is down every answer must be the styled
503 (never a 500, never a success for a write that did not happen); afterwards the same app
processes must serve again (CONN_HEALTH_CHECKS drops the dead persistent connections).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

from masthead.core import localservices
from tests.faults import traffic
from tests.scratchdb import ScratchDB

ROOT = Path(__file__).resolve().parents[2]

CONTENT = """
import json, django; django.setup()
from tests import factories as f
image = f.image("Shared", size=(480, 270))
print(json.dumps([f.article(f"Story {i}", top_image=image).slug for i in range(2)]))
"""


@pytest.fixture
def postgres():
    """Our own PostgreSQL with its data directory outside the server's temporary directory,
    so that stopping it keeps the data for the restart."""
    if localservices.postgres_bindir() is None:
        pytest.skip("*** SKIPPED: PostgreSQL is not installed (apt-get install postgresql) ***")
    home = Path(tempfile.mkdtemp(prefix="masthead-faults-pg-"))
    home.chmod(0o755)  # the postgres user (we may be root) must reach its data directory
    servers = [localservices.start_postgres(datadir=home / "data")]
    try:
        yield home / "data", servers  # the test appends the restarted server
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(home, ignore_errors=True)


def _assert_503(reply: traffic.Reply) -> None:
    assert reply.status == 503, (reply.status, reply.body[:3000])
    assert int(reply.headers["Retry-After"]) > 0
    assert reply.headers["Cache-Control"] == "private, no-store"
    assert "Back in a moment" in reply.body and "Traceback" not in reply.body


def test_restarting_postgres_under_traffic(postgres, tmp_path, static_root):
    datadir, servers = postgres
    pg = servers[0]
    env = traffic.app_env(tmp_path / "var", pg.url, static_root)
    ledger, stop = traffic.Ledger(), threading.Event()
    with ExitStack() as cleanup:
        # The server starts (collecting static files if need be) while the database migrates:
        # nothing but its health check touches the database until the content is there.
        migrating = subprocess.Popen(
            [sys.executable, "-m", "masthead.cli", "migrate", "--no-input", "-v0"], env=env,
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        cleanup.callback(migrating.kill)
        app = localservices.start_app(env, workers=2)
        cleanup.callback(app.stop)
        assert migrating.wait(120) == 0, migrating.stderr.read()[-3000:]
        made = subprocess.run([sys.executable, "-c", CONTENT], cwd=ROOT, capture_output=True,
                              env={**env, "TASK_BACKEND": "immediate"}, text=True)
        assert made.returncode == 0, made.stderr[-3000:]
        paths = ["/", *(f"/articles/{slug}/" for slug in json.loads(made.stdout))]
        with ThreadPoolExecutor(3) as pool:
            running = [pool.submit(traffic.sign_ups, app.url, ledger, stop, "reader"),
                       pool.submit(traffic.sign_ups, app.url, ledger, stop, "other"),
                       pool.submit(traffic.reads, app.url, ledger, stop, paths)]
            try:
                traffic.wait_until(lambda: ledger.count("signups") >= 10, 30,
                                   "sign-ups before", [app.extra["log"]])
                ledger.phase = "stopping"
                pg.stop()  # fast shutdown: open transactions are rolled back, sessions cut
                ledger.phase = "outage"
                time.sleep(1.5)
                # As a reader sees it, while the database is down.
                _assert_503(traffic.request(app.url, "GET", paths[1]))
                _assert_503(traffic.request(app.url, "POST", "/newsletter/",
                                            form={"email": "down@example.org", "name": "Down"}))
                ledger.phase = "restarting"
                servers.append(localservices.start_postgres(datadir=datadir, port=pg.port))
                ledger.phase = "after"
                acknowledged = ledger.count("signups")
                traffic.wait_until(lambda: ledger.count("signups") >= acknowledged + 10, 30,
                                   "sign-ups after the restart", [app.extra["log"]])
            finally:
                stop.set()
                for future in running:
                    future.result()
        assert app.proc.poll() is None  # the same server throughout: it was never restarted

        during = ledger.outcomes("outage")
        assert during and set(during) == {503}, ledger.statuses
        assert 500 not in ledger.outcomes(), [r.body[:2000] for r in ledger.failures[:1]]
        assert ledger.outcomes("after", "read")[200] > 0, ledger.statuses
        for reply in ledger.failures:
            _assert_503(reply)

    db = ScratchDB(servers[-1].url, "postgresql", "masthead",
                   {"HOST": "127.0.0.1", "PORT": servers[-1].port, "USER": "postgres"})
    signed_up = {email for (email,) in db.query(
        "SELECT s.email FROM newsletter_subscriber s JOIN newsletter_consentevent c "
        "ON c.subscriber_id = s.id WHERE c.kind = 'signup'")}
    assert set(ledger.signups) <= signed_up, set(ledger.signups) - signed_up
    assert "down@example.org" not in signed_up
