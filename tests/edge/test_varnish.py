"""deploy/varnish/masthead.vcl in a real Varnish, in front of a real app server, on loopback.

The app (`masthead serve`, granian) and the worker (`masthead worker`) run as subprocesses
against a copy of the migrated test database (tests/scratchdb.py) holding one old Europe story
and eleven newer Africa stories, so LATEST (the ten newest, on every page) never shows the old
one and the Africa pages never show it at all. "Did the app answer?" is read from Varnish's own
counter of backend requests (MAIN.backend_req). Header rules the app never exercises (a public
page that sets a cookie, grace past a TTL) run against a small stub backend instead.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from masthead.core import localservices

if not any(os.access(p, os.X_OK) for p in ("/usr/sbin/varnishd", "/usr/bin/varnishd")):
    pytest.skip("*** SKIPPED: varnishd not installed ***", allow_module_level=True)

# django_db so that the test database exists to be copied; the tests write nothing to it.
pytestmark = [pytest.mark.varnish, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]
NEWER = 11  # Africa stories, all newer than the old Europe one

SETUP = f"""
import json, django; django.setup()
from datetime import timedelta
from django.contrib.auth.models import User
from django.test import Client
from tests import factories as f
image = f.image("Shared", size=(480, 270))
old = f.article("The old Europe story", section_slug="europe", top_image=image,
                published_at=f.BASE_TIME - timedelta(days=30), authors=[f.author("Old Hand")])
writer = f.author("Africa Desk")
newer = [f.article(f"Africa story {{i}}", section_slug="africa", top_image=image,
                   authors=[writer]) for i in range({NEWER})]
editor = User.objects.create_superuser("varnish-editor", "editor@example.org", None)
client = Client()
client.force_login(editor)
print(json.dumps({{"old": [old.pk, old.slug], "newest": [newer[-1].pk, newer[-1].slug],
                  "sessionid": client.cookies["sessionid"].value}}))
"""

PUBLISH = """
import json, sys, time, django; django.setup()
from masthead.editorial.models import ArticlePage
page = ArticlePage.objects.get(pk=int(sys.argv[1]))
page.title = sys.argv[2]
page.save_revision().publish()
print(json.dumps({"committed": time.time()}))  # publish() returns once the commit is done
"""


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def cache(self) -> str | None:
        return self.headers.get("X-Cache")


def request(base: str, path: str, method: str = "GET", headers: dict | None = None,
            source: str | None = None) -> Reply:
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def backend_requests(varnish) -> int:
    return localservices.varnish_counter(varnish, "MAIN.backend_req")


def fetches(varnish, base: str, path: str, **kwargs) -> tuple[Reply, int]:
    """GET through Varnish; also how many requests reached the app meanwhile."""
    before = backend_requests(varnish)
    reply = request(base, path, **kwargs)
    return reply, backend_requests(varnish) - before


def warm(varnish, path: str, **kwargs) -> Reply:
    request(varnish.url, path, **kwargs)
    reply = request(varnish.url, path, **kwargs)
    assert reply.status == 200 and reply.cache == "HIT", (path, reply.status, reply.cache)
    return reply


def _app_env(var_dir: Path, database_url: str, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_URL", "CACHE_URL", "EMAIL_", "VARNISH_", "PAGE_CACHE"))}
    env.update(DJANGO_SETTINGS_MODULE="masthead.settings", VAR_DIR=str(var_dir),
               SECRET_KEY="varnish-test-only", TASK_BACKEND="database",
               DATABASE_URL=database_url, WORKER_POLL_INTERVAL="0.1", **extra)
    return env


@dataclass
class Stack:
    app: localservices.Server
    varnish: localservices.Server
    worker: localservices.Server
    spare_app: localservices.Server  # for the grace test to stop
    env: dict
    content: dict

    def article(self, which: str) -> str:
        return f"/articles/{self.content[which][1]}/"


@pytest.fixture(scope="module")
def stack(scratch_template, tmp_path_factory):
    """App server, worker and Varnish on loopback over a scratch database with content."""
    tmp = tmp_path_factory.mktemp("varnish-stack")
    db = scratch_template.copy(tmp)
    var_dir = tmp / "var"
    var_dir.mkdir()
    varnish_port = localservices.free_port()
    env = _app_env(var_dir, db.url, VARNISH_URLS=f"http://127.0.0.1:{varnish_port}")
    # Content first, with no Varnish to purge yet (a purge would retry for seconds per publish).
    setup_env = {**_app_env(var_dir, db.url), "TASK_BACKEND": "immediate"}
    setup = subprocess.run([sys.executable, "-c", SETUP], env=setup_env, cwd=ROOT,
                           capture_output=True, text=True)
    assert setup.returncode == 0, setup.stderr[-3000:]
    content = json.loads(setup.stdout.strip().splitlines()[-1])
    spare_env = {**env, "STATIC_ROOT": str(tmp / "static-spare")}  # each collects its own
    with ExitStack() as stop:
        started = _start_together(stop, worker=lambda: localservices.start_worker(env),
                                  app=lambda: localservices.start_app(env, workers=2),
                                  spare_app=lambda: localservices.start_app(spare_env, workers=1))
        varnish = localservices.start_varnish(started["app"].port, port=varnish_port)
        stop.callback(varnish.stop)
        yield Stack(varnish=varnish, env=env, content=content, **started)


def _start_together(stop: ExitStack, **starters) -> dict[str, localservices.Server]:
    """Start servers in parallel (each takes seconds); every one started is stopped at the end."""
    with ThreadPoolExecutor(len(starters)) as pool:
        futures = {name: pool.submit(start) for name, start in starters.items()}
    started, failures = {}, []
    for name, future in futures.items():
        try:
            started[name] = future.result()
            stop.callback(started[name].stop)
        except Exception as exc:
            failures.append(exc)
    if failures:
        raise failures[0]
    return started


# --- What is cached, and what purges it


def test_a_page_is_cached_and_an_xkey_purge_drops_exactly_the_pages_showing_it(stack):
    v = stack.varnish
    old, africa = stack.article("old"), stack.article("newest")
    for path in (old, africa, "/section/africa/", "/section/europe/"):
        first, _ = fetches(v, v.url, path)
        assert first.status == 200
        again, reached_app = fetches(v, v.url, path)
        assert (again.cache, reached_app, again.body) == ("HIT", 0, first.body), path

    purged = request(v.url, "/", "PURGE", {"xkey-purge": f"article-{stack.content['old'][0]}"})
    assert purged.status == 200
    assert int(purged.headers["X-Purged"]) >= 2  # the article and the Europe section, at least

    for path in (old, "/section/europe/"):
        reply, reached_app = fetches(v, v.url, path)
        assert (reply.status, reply.cache, reached_app) == (200, "MISS", 1), path
    for path in (africa, "/section/africa/"):
        reply, reached_app = fetches(v, v.url, path)
        assert (reply.cache, reached_app) == ("HIT", 0), path


def test_purge_without_keys_purges_the_url(stack):
    v = stack.varnish
    warm(v, "/briefs/")
    assert request(v.url, "/briefs/", "PURGE").status == 200
    reply, reached_app = fetches(v, v.url, "/briefs/")
    assert (reply.cache, reached_app) == ("MISS", 1)


def test_purges_from_outside_the_acl_or_through_a_proxy_are_refused(stack):
    v = stack.varnish
    key = {"xkey-purge": f"article-{stack.content['newest'][0]}"}
    warm(v, stack.article("newest"))
    # 127.0.0.2 is this machine too, but not in the purgers ACL (127.0.0.1, ::1, private ranges).
    assert request(v.url, "/", "PURGE", key, source="127.0.0.2").status == 403
    # The TLS proxy in front connects from 127.0.0.1 and adds X-Forwarded-For: refused too.
    assert request(v.url, "/", "PURGE", {**key, "X-Forwarded-For": "203.0.113.9"}).status == 403
    assert request(v.url, stack.article("newest"), "PURGE", source="127.0.0.2").status == 403
    assert request(v.url, stack.article("newest")).cache == "HIT"


def test_signed_in_requests_are_passed_and_never_stored(stack):
    v = stack.varnish
    session = {"Cookie": f"csrftoken=abc; sessionid={stack.content['sessionid']}"}
    anonymous = warm(v, "/section/asia-pacific/")
    for _ in range(2):
        reply, reached_app = fetches(v, v.url, "/section/asia-pacific/", headers=session)
        assert (reply.status, reply.cache, reached_app) == (200, "MISS", 1)
        assert "private" in reply.headers["Cache-Control"]
    again = request(v.url, "/section/asia-pacific/")
    assert (again.cache, again.body) == ("HIT", anonymous.body)

    # Nothing asked with a session is stored: the first anonymous request is a miss.
    request(v.url, "/section/global/", headers=session)
    assert request(v.url, "/section/global/").cache == "MISS"
    reply, reached_app = fetches(v, v.url, "/", headers={"Authorization": "Basic eDp5"})
    assert (reply.cache, reached_app) == ("MISS", 1)


def test_tracking_cookies_do_not_split_the_cache(stack):
    v = stack.varnish
    first = request(v.url, "/section/middle-east/", headers={"Cookie": "_ga=GA1.1.1; csrftoken=x"})
    second, reached_app = fetches(v, v.url, "/section/middle-east/",
                                  headers={"Cookie": "_ga=GA1.1.2"})
    assert (second.cache, reached_app, second.body) == ("HIT", 0, first.body)
    assert "Set-Cookie" not in second.headers


def test_admin_and_health_check_are_never_cached(stack):
    v = stack.varnish
    for path in ("/admin/login/", "/healthz"):
        for _ in range(2):
            reply, reached_app = fetches(v, v.url, path)
            assert (reply.status, reply.cache, reached_app) == (200, "MISS", 1), path


def test_xkey_and_s_maxage_stay_inside_varnish(stack):
    v = stack.varnish
    reply = warm(v, stack.article("newest"))
    assert "xkey" not in reply.headers
    assert reply.headers["Cache-Control"] == "public, max-age=60"
    assert int(reply.headers["Age"]) >= 0
    direct = request(stack.app.url, stack.article("newest"))  # what the app itself sends
    assert "s-maxage=" in direct.headers["Cache-Control"] and direct.headers["xkey"]


# --- Publish → purge → fresh page, through the real worker


def test_a_publish_reaches_readers_within_a_second_and_spares_unrelated_pages(stack):
    v = stack.varnish
    old_id, headline = stack.content["old"][0], "The old Europe story, corrected"
    warm(v, stack.article("old"))
    # Pages, feeds and sitemaps that show the story: cached now, fresh right after the publish.
    showing = ("/section/europe/", "/feeds/rss.xml", "/feeds/section/europe/atom.xml")
    for path in (*showing, "/sitemaps/articles-1.xml"):
        warm(v, path)
    unrelated = {path: warm(v, path).body
                 for path in (stack.article("newest"), "/section/africa/", "/briefs/")}

    publish = subprocess.Popen([sys.executable, "-c", PUBLISH, str(old_id), headline],
                               env=stack.env, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20  # the script starts Django, then publishes
        while headline.encode() not in (page := request(v.url, stack.article("old"))).body:
            assert publish.poll() in (None, 0), publish.stderr.read()
            assert time.monotonic() < deadline, localservices.log_tail(stack.worker.extra["log"])
            time.sleep(0.02)
        seen = time.time()
        out, err = publish.communicate(timeout=60)
    finally:
        if publish.poll() is None:
            publish.kill()
    assert publish.returncode == 0, err
    assert page.cache == "MISS"
    assert seen - json.loads(out.strip().splitlines()[-1])["committed"] < 1.0

    for path in showing:
        reply = request(v.url, path)
        assert headline.encode() in reply.body, path
    assert request(v.url, "/sitemaps/articles-1.xml").cache == "MISS"  # its lastmod was purged

    for path, body in unrelated.items():
        reply = request(v.url, path)
        assert (reply.cache, reply.body) == ("HIT", body), path


# --- Grace: the app down


def test_when_the_app_is_down_cached_pages_are_still_served(stack):
    # An app server and a Varnish of their own, so stopping them leaves the other tests alone.
    varnish = localservices.start_varnish(stack.spare_app.port)
    try:
        warm(varnish, stack.article("newest"))
        stack.spare_app.stop()  # by its pid
        localservices.wait_for_backend(varnish, healthy=False)
        cached = request(varnish.url, stack.article("newest"))
        assert (cached.status, cached.cache) == (200, "HIT")
        assert request(varnish.url, "/section/europe/").status == 503
    finally:
        varnish.stop()


class _Stub(BaseHTTPRequestHandler):
    """A backend whose answers the app never gives: cookies on public pages, 1-second TTLs."""

    protocol_version = "HTTP/1.1"
    PAGES = {
        "/public": ("public, max-age=60, s-maxage=86400", None),
        "/set-cookie": ("public, max-age=60, s-maxage=86400", "tracking=1; Path=/"),
        "/private": ("private, max-age=60", None),
        "/no-store": ("no-store", None),
        "/short": ("public, max-age=1, s-maxage=1", None),
    }

    def do_GET(self):
        stub = self.server
        path = self.path.split("?")[0]
        if path == "/healthz":
            self._send(200 if stub.healthy else 503, b"ok", {})
            return
        stub.hits[path] += 1
        if path not in self.PAGES:
            self._send(404, b"no such page", {"Cache-Control": "no-store"})
            return
        cache_control, cookie = self.PAGES[path]
        headers = {"Cache-Control": cache_control, "xkey": "stub site"}
        if cookie:
            headers["Set-Cookie"] = cookie
        self._send(200, f"{path} #{stub.hits[path]}".encode(), headers)

    def _send(self, status: int, body: bytes, headers: dict) -> None:
        self.send_response(status)
        for name, value in {**headers, "Content-Type": "text/plain",
                            "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def stub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    server.healthy, server.hits = True, Counter()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    varnish = localservices.start_varnish(server.server_address[1])
    yield server, varnish
    varnish.stop()
    server.shutdown()
    server.server_close()


def test_responses_with_cookies_or_private_are_never_stored(stub):
    server, v = stub
    for path in ("/set-cookie", "/private", "/no-store"):
        for n in (1, 2):
            reply = request(v.url, path)
            assert (reply.status, reply.cache, server.hits[path]) == (200, "MISS", n), path
    passed = request(v.url, "/set-cookie")
    assert passed.headers["Set-Cookie"] == "tracking=1; Path=/"
    assert passed.headers["Cache-Control"] == "public, max-age=60"  # s-maxage is ours alone
    public = warm(v, "/public")
    assert (server.hits["/public"], public.headers["Cache-Control"]) == (1, "public, max-age=60")
    assert "xkey" not in public.headers


def test_grace_serves_stale_pages_while_the_backend_is_sick(stub):
    server, v = stub
    assert request(v.url, "/short").body == b"/short #1"
    time.sleep(1.2)  # past the 1 s TTL, within the 10 s grace of a healthy backend
    stale = request(v.url, "/short")
    assert (stale.cache, stale.body) == ("HIT", b"/short #1")  # refreshed in the background
    server.healthy = False
    localservices.wait_for_backend(v, healthy=False)
    time.sleep(1.2)  # the refreshed copy has expired too
    served = request(v.url, "/short")
    assert (served.status, served.body) == (200, b"/short #2")
    assert server.hits["/short"] == 2  # nothing asked of a sick backend
    assert request(v.url, "/public").status == 503


def test_the_benchmark_floor_varnish_runs_the_built_in_vcl(stub):
    """bench/ compares our Varnish with Varnish's built-in VCL: that one must cache too."""
    server, _ = stub
    floor = localservices.start_varnish(server.server_address[1], builtin=True)
    try:
        first, second = request(floor.url, "/public"), request(floor.url, "/public")
        assert (first.status, second.status, server.hits["/public"]) == (200, 200, 1)
        assert len(second.headers["X-Varnish"].split()) == 2  # a hit names the stored object
        assert "X-Cache" not in second.headers and second.headers["xkey"]  # none of our VCL
    finally:
        floor.stop()
