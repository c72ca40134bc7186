"""Send one round-up to N synthetic subscribers through a fast local SMTP sink, and measure it.

    .venv/bin/python bench/newsletter_send.py [--recipients 100000] [--keep DIR]
    .venv/bin/python bench/newsletter_send.py --snapshot-only 1000000

Creates a scratch VAR_DIR (removed afterwards, or --keep DIR to reuse its database), migrates
it, inserts N confirmed subscribers with one SQL statement and drafts an issue of ten briefs
(a ~20 KB email). Three processes then run on the machine's two cores:

* the sink: a minimal asyncio SMTP server on 127.0.0.1 that answers 250 to everything and
  counts messages (aiosmtpd costs 1.5-2.3 ms per message, more than the sender);
* the sender: `issue_start_sending` (the INSERT … SELECT snapshot), then the real send loop
  (services/deliveries.py) through Django's SMTP backend, each delivery marked sent on its own;
* this script, which waits and reports.

Prints the snapshot time, messages/s end to end, the sender's CPU milliseconds per message, its
peak RSS, the cost of building one message, then one line of JSON. --snapshot-only N measures
just the snapshot of N recipients (time and the sender's peak RSS).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BRIEF_WORDS = ("The ministers met for a second day without agreeing on the budget, while the "
               "markets waited for a signal that did not come. ") * 6

DRAFT_SCRIPT = """
import sys, django; django.setup()
from datetime import timedelta
from django.utils import timezone
from masthead.briefs.models import Brief
from masthead.editorial.models import Section
from masthead.newsletter.models import Issue, IssueItem
now = timezone.now()
section = Section.objects.order_by("pk").first()
issue = Issue.objects.create(subject="The week in review", preheader="Ten stories",
    introduction="Dear readers,\\n\\nA week of budgets, borders and ballots.",
    period_start=now - timedelta(days=7), period_end=now)
for i in range(10):
    brief = Brief.objects.create(headline=f"Brief number {i}", body=f"<p>{sys.argv[1]}</p>",
        section=section, live=True, first_published_at=now,
        source_url="https://example.org/source", source_name="Example wire")
    IssueItem.objects.create(issue=issue, brief=brief, sort_order=i)
print(issue.pk)
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--snapshot-only", type=int, metavar="N",
                        help="only measure snapshotting N recipients")
    parser.add_argument("--keep", metavar="DIR", help="scratch VAR_DIR to create or reuse")
    parser.add_argument("--role", choices=["sink", "sender"], help=argparse.SUPPRESS)
    parser.add_argument("--issue", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--send", action=argparse.BooleanOptionalAction, default=True,
                        help=argparse.SUPPRESS)
    return parser.parse_args()


def environment(var_dir: Path, port: int | None = None) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CACHE_URL", "EMAIL_BACKEND", "MEDIA_ROOT")}
    env.update(VAR_DIR=str(var_dir), SECRET_KEY="bench-only-not-secret", DEBUG="false",
               DJANGO_SETTINGS_MODULE="masthead.settings", TASK_BACKEND="immediate",
               LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    if port:
        env["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    return env


def setup_django(var_dir: Path) -> None:
    os.environ.update(environment(var_dir))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- the sink -------------------------------------------------------------------------------


class Sink:
    """Just enough SMTP to accept messages: every command gets a 250 (354 for DATA)."""

    def __init__(self):
        self.messages = 0

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        writer.write(b"220 sink ESMTP\r\n")
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                writer.write(b"354 go ahead\r\n")
                await reader.readuntil(b"\r\n.\r\n")
                self.messages += 1
                writer.write(b"250 2.0.0 accepted\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            elif verb == b"EHLO":
                writer.write(b"250-sink\r\n250 8BITMIME\r\n")
            else:
                writer.write(b"250 OK\r\n")
            await writer.drain()
        writer.close()


def run_sink(port: int) -> None:
    """Serve until stdin closes, then print the message count."""
    sink = Sink()

    async def main():
        server = await asyncio.start_server(sink.session, "127.0.0.1", port, limit=2**22)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)
        server.close()

    print("ready", flush=True)
    asyncio.run(main())
    print(sink.messages, flush=True)


# --- the sender -----------------------------------------------------------------------------


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _rss_mb() -> dict:
    status = Path("/proc/self/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in status)
    return {k: round(int(fields[k].split()[0]) / 1024, 1)
            for k in ("VmHWM", "VmRSS", "RssAnon", "RssFile") if k in fields}


def run_sender(var_dir: Path, issue_id: int, send: bool) -> None:
    setup_django(var_dir)
    from masthead.newsletter import sending
    from masthead.newsletter.models import Issue
    from masthead.newsletter.services import deliveries
    from masthead.newsletter.services.issues import issue_start_sending

    out: dict = {"rss_after_setup_mb": _rss_mb()}
    wall, cpu = time.perf_counter(), _cpu()
    assert issue_start_sending(issue_id=issue_id, enqueue=False)
    out["snapshot_s"] = round(time.perf_counter() - wall, 2)
    out["snapshot_cpu_s"] = round(_cpu() - cpu, 2)
    out["recipients"] = Issue.objects.get(pk=issue_id).recipients
    out["rss_after_snapshot_mb"] = _rss_mb()
    if send:
        issue = Issue.objects.get(pk=issue_id)
        start = time.perf_counter()
        roundup = sending.render_issue(issue)
        out["render_once_ms"] = round((time.perf_counter() - start) * 1000, 1)
        people = [sending.Recipient(subscriber_id=i, email=f"reader{i}@example.test",
                                    name=f"Reader {i}") for i in range(1, 2001)]
        start = time.perf_counter()
        sizes = [len(roundup.as_bytes(r)) for r in people]
        out["build_us_per_message"] = round((time.perf_counter() - start) / len(people) * 1e6)
        out["message_bytes"] = sizes[0]
        wall, cpu = time.perf_counter(), _cpu()
        result = deliveries.issue_send_loop(issue_id=issue_id)
        out["send_s"] = round(time.perf_counter() - wall, 2)
        out["send_cpu_s"] = round(_cpu() - cpu, 2)
        out["sent"] = result.sent
        out["failed"] = result.failed
        out["outcome"] = result.outcome
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out["rss_end_mb"] = _rss_mb()
    print(json.dumps(out), flush=True)


# --- the orchestrator -----------------------------------------------------------------------


def prepare(var_dir: Path, recipients: int) -> int:
    """Migrate, seed `recipients` confirmed subscribers and an issue; the issue's id."""
    subprocess.run([str(ROOT / ".venv/bin/masthead"), "migrate", "--noinput", "-v0"],
                   env=environment(var_dir), check=True, cwd=ROOT)
    db = sqlite3.connect(var_dir / "db.sqlite3")
    db.execute("DELETE FROM newsletter_delivery")  # a kept database starts each run afresh
    db.commit()
    have = db.execute("SELECT COUNT(*) FROM newsletter_subscriber").fetchone()[0]
    if have != recipients:
        start = time.perf_counter()
        db.execute("DELETE FROM newsletter_subscriber")
        db.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO newsletter_subscriber (email, name, status, source, created_at, "
            "confirmed_at) SELECT 'reader' || i || '@example.test', 'Reader ' || i, "
            "'confirmed', 'bench', datetime('now'), datetime('now') FROM n", (recipients,))
        db.commit()
        print(f"seeded {recipients:,} subscribers in {time.perf_counter() - start:.1f} s")
    db.close()
    done = subprocess.run([sys.executable, "-c", DRAFT_SCRIPT, BRIEF_WORDS],
                          env=environment(var_dir), check=True, cwd=ROOT, capture_output=True,
                          text=True)
    return int(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(var_dir: Path, issue_id: int, *, send: bool) -> tuple[dict, int | None]:
    port = free_port()
    sink = subprocess.Popen([sys.executable, __file__, "--role", "sink", "--port", str(port)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert sink.stdout.readline().strip() == "ready"
        args = [sys.executable, __file__, "--role", "sender", "--issue", str(issue_id),
                "--keep", str(var_dir), "--send" if send else "--no-send"]
        done = subprocess.run(args, env=environment(var_dir, port), check=True, cwd=ROOT,
                              capture_output=True, text=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        received, _ = sink.communicate(input="", timeout=60)
    return result, int(received.strip().splitlines()[-1])


def report(result: dict, received: int, send: bool) -> None:
    print(f"snapshot: {result['recipients']:,} recipients in {result['snapshot_s']} s "
          f"({result['snapshot_cpu_s']} s CPU)")
    if send:
        rate = result["sent"] / result["send_s"]
        print(f"render once: {result['render_once_ms']} ms; build one message: "
              f"{result['build_us_per_message']} µs ({result['message_bytes']:,} bytes)")
        print(f"sent: {result['sent']:,} (sink received {received:,}) in {result['send_s']} s "
              f"= {rate:,.0f} messages/s; sender CPU "
              f"{result['send_cpu_s'] * 1000 / max(result['sent'], 1):.3f} ms/message")
    print(f"sender peak RSS: {result['peak_rss_mb']} MB "
          f"(after Django setup: {result['rss_after_setup_mb']}; "
          f"after snapshot: {result['rss_after_snapshot_mb']}; end: {result['rss_end_mb']})")
    print(json.dumps({**result, "sink_received": received, "python": platform.python_version()}))


def main() -> None:
    args = parse_args()
    if args.role == "sink":
        return run_sink(args.port)
    if args.role == "sender":
        return run_sender(Path(args.keep), args.issue, args.send)
    recipients = args.snapshot_only or args.recipients
    var_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="masthead-bench-"))
    try:
        var_dir.mkdir(parents=True, exist_ok=True)
        issue_id = prepare(var_dir, recipients)
        send = not args.snapshot_only
        result, received = measure(var_dir, issue_id, send=send)
        report(result, received, send)
    finally:
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
