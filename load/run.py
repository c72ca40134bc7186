"""`make load`: a bounded load test of the production profile on loopback, pass or fail.

    .venv/bin/python load/run.py [--duration 10m] [--users 60] [--spawn-rate 5]
        [--articles 2000] [--p95 500] [--workers 2]

Starts what `masthead prod-demo` starts, on loopback and in temporary directories: a throwaway
PostgreSQL and Redis, the demo magazine plus `masthead seed --articles N` and the search index,
the app under granian (`masthead serve`), the worker, and Varnish with deploy/varnish/masthead.vcl
in front. Then runs locust headless (load/locustfile.py: readers, searchers, sign-ups) against
Varnish for --duration, stops everything it started, by process id, and passes only if

* no response had a status >= 500 and no request failed to connect or timed out, and
* the 95th percentile of all requests' response times is under --p95 milliseconds.

Other failures (an unexpected 404, a refused sign-up) are listed and also fail the run: each
request in the locustfile says what it expects. The figures go to load/results/<time>/ (locust's
CSV statistics and HTML report, summary.json, the app's and the worker's logs).

Newsletter rate limit: every request comes from 127.0.0.1, so the per-IP sign-up limit
(NEWSLETTER_RATE_PER_IP, 20/h by default) would refuse all but the first 20 sign-ups. The run
sets NEWSLETTER_RATE_PER_IP=1000000/h: the limit's query still runs on every sign-up (it counts
that IP's recent sign-ups in the consent log), it just never trips. The per-address limit is left
as it is; every sign-up uses a new address.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "load" / "results"
sys.path.insert(0, str(ROOT))

from masthead.core import localservices as ls  # noqa: E402

RATE_PER_IP = "1000000/h"
DURATION = re.compile(r"^(\d+h)?(\d+m)?(\d+s)?$")


def seconds(duration: str) -> int:
    match = DURATION.match(duration)
    if not duration or not match:
        raise argparse.ArgumentTypeError(f"{duration!r}: use locust's form, e.g. 10m, 60s, 1h30m")
    units = {"h": 3600, "m": 60, "s": 1}
    return sum(int(part[:-1]) * units[part[-1]] for part in match.groups() if part)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--duration", default="10m", help="how long locust runs (default 10m)")
    p.add_argument("--users", type=int, default=60, help="simulated visitors (default 60)")
    p.add_argument("--spawn-rate", type=float, default=5, help="visitors started per second")
    p.add_argument("--articles", type=int, default=2000, help="articles seeded (default 2000)")
    p.add_argument("--p95", type=float, default=500, help="limit on the overall p95, ms")
    p.add_argument("--workers", type=int, default=2, help="app server processes (default 2)")
    args = p.parse_args(argv)
    try:
        args.seconds = seconds(args.duration)
    except argparse.ArgumentTypeError as exc:
        p.error(str(exc))
    return args


def say(text: str) -> None:
    print(text, flush=True)


def start_stack(stack: contextlib.ExitStack, args) -> tuple[list[ls.Server], dict]:
    def started(server: ls.Server) -> ls.Server:
        return ls.started(stack, server, say=say)

    var_dir = stack.enter_context(
        tempfile.TemporaryDirectory(prefix="masthead-load-", ignore_cleanup_errors=True))
    say("Starting PostgreSQL and Redis…")
    postgres = started(ls.start_postgres())
    redis = started(ls.start_redis())
    port = ls.free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "HOST")}
    env.update(DJANGO_SETTINGS_MODULE="masthead.settings", VAR_DIR=var_dir, DEBUG="false",
               DATABASE_URL=postgres.url, CACHE_URL=redis.url, TASK_BACKEND="database",
               SITE_URL=f"http://127.0.0.1:{port}", NEWSLETTER_RATE_PER_IP=RATE_PER_IP)
    say(f"Migrating, loading the demo magazine, seeding {args.articles} articles, indexing…")
    ls.load_demo(env, articles=args.articles)
    env["VARNISH_URLS"] = f"http://127.0.0.1:{port}"
    say("Starting the app, Varnish and the worker…")
    app = started(ls.start_app(env, workers=args.workers))
    varnish = started(ls.start_varnish(app.port, port=port))
    worker = started(ls.start_worker(env))
    return [postgres, redis, app, varnish, worker], env


def run_locust(args, host: str, out: Path) -> int:
    command = [str(BIN / "locust"), "-f", str(ROOT / "load" / "locustfile.py"), "--headless",
               "-u", str(args.users), "-r", str(args.spawn_rate), "-t", args.duration,
               "--host", host, "--csv", str(out / "locust"), "--html", str(out / "report.html"),
               "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"]
    say(f"\nlocust: {args.users} visitors ({args.spawn_rate}/s), {args.duration} against {host}")
    env = {**os.environ, "LOAD_SUMMARY": str(out / "summary.json")}
    # Bounded: locust stops itself after -t; this is a backstop if it does not.
    proc = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    try:
        return proc.wait(timeout=args.seconds + 300)
    except subprocess.TimeoutExpired:
        proc.terminate()
        proc.wait(30)
        return -1
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(30)


def verdict(args, out: Path, servers: list[ls.Server]) -> list[str]:
    """The reasons the run failed (none: it passed); prints the figures."""
    problems = []
    stats = out / "locust_stats.csv"
    summary = out / "summary.json"
    if not stats.exists() or not summary.exists():
        return [f"locust wrote no statistics ({stats.name}, {summary.name} missing)"]
    rows = list(csv.DictReader(stats.open()))
    total = next((r for r in rows if r["Name"] == "Aggregated"), None)
    if total is None or int(total["Request Count"]) == 0:
        return ["no requests were made"]
    counts = json.loads(summary.read_text())
    say(f"responses by status: {dict(sorted(counts['status'].items()))}")
    p95 = float(total["95%"])
    server_errors = sum(sum(v.values()) for v in counts["server_errors"].values())
    if server_errors:
        problems.append(f"{server_errors} server errors (status >= 500 or no response):")
        for url, what in sorted(counts["server_errors"].items(), key=lambda kv: -sum(kv[1].values()))[:15]:
            problems.append(f"    {url}: {what}")
    if p95 >= args.p95:
        problems.append(f"p95 {p95:.0f} ms, limit {args.p95:.0f} ms")
    failures = out / "locust_failures.csv"
    other = [r for r in csv.DictReader(failures.open())] if failures.exists() else []
    # Server errors are counted above: statuses 5xx and 0 (no response), as the locustfile
    # words them ("503, expected 200"), or locust's own words for a bad status or a socket error.
    other = [r for r in other if not re.search(r"^(5\d\d|0)\b|\b5\d\d\b|Connection|Timeout|"
                                               r"Reset|Refused", r["Error"])]
    if other:
        problems.append(f"{sum(int(r['Occurrences']) for r in other)} other failed requests:")
        problems += [f"    {r['Method']} {r['Name']}: {r['Error']} ×{r['Occurrences']}"
                     for r in other[:15]]
    for server in servers:
        if server.proc.poll() is not None:
            problems.append(f"{server.name} (pid {server.proc.pid}) exited with "
                            f"{server.proc.returncode} during the run")
    say(f"\noverall: {total['Request Count']} requests, {float(total['Requests/s']):.1f}/s, "
        f"median {total['50%']} ms, p95 {p95:.0f} ms (limit {args.p95:.0f}), "
        f"p99 {total['99%']} ms, server errors {server_errors}")
    return problems


def main(argv=None) -> int:
    args = parse_args(argv)
    for module, hint in (("redis", "pip install -c constraints.txt -e ."),
                         ("locust", "pip install -c constraints.txt -r load/requirements.txt")):
        if importlib.util.find_spec(module) is None:
            say(f"load: the {module} Python package is missing ({hint})")
            return 2
    out = RESULTS / datetime.now().strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with ls.server_stack(say=say, stopping="Stopping everything the load test started…") as stack:
        try:
            servers, env = start_stack(stack, args)
            by_name = {s.name: s for s in servers}
            started = time.monotonic()
            code = run_locust(args, by_name["varnish"].url, out)
            say(f"locust exited with {code} after {time.monotonic() - started:.0f} s")
            problems = verdict(args, out, servers)
            for name in ("app", "worker"):
                shutil.copy(by_name[name].extra["log"], out / f"{name}.log")
            tracebacks = (out / "app.log").read_text(errors="replace").count("Traceback")
            if tracebacks:
                problems.append(f"{tracebacks} tracebacks in the app's log ({out / 'app.log'})")
        except KeyboardInterrupt:
            problems = ["interrupted"]
        except ls.Unavailable as exc:
            problems = [str(exc)]
    say(f"results: {out.relative_to(ROOT)}/")
    if problems:
        say("\nLOAD TEST FAILED\n" + "\n".join(problems))
        return 1
    say("\nLOAD TEST PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
