"""Time reader search at scale: build the index, then run realistic queries per backend.

    .venv/bin/python bench/search.py [--articles 100000] [--backend sqlite|postgres|both]
        [--queries 200] [--source DIR] [--keep DIR] [--seed 1]

Each backend runs in its own process (Django is set up once per process):

* sqlite: a scratch VAR_DIR (temporary, or --keep DIR to reuse it). With --source DIR, the
  db.sqlite3 (and media) of an already seeded VAR_DIR is copied in first, never modified in
  place; then `migrate`, `masthead seed` up to --articles, and `search-rebuild` (timed).
* postgres: a throwaway server from Debian's packages (masthead.core.localservices), migrated,
  seeded with the same generator, rebuilt (timed), stopped afterwards.

Queries are 1-3 words drawn from the seed's own vocabulary (every one of its words is common: a
word matches about 80% of the articles), with stemmed forms, author names, a few phrases and
exclusions, fixed by --seed. Each query runs through `search.selectors.search_page`, the code
path of the search page (ranking, count, highlights of the first page). After reading the index
once (as the OS page cache of a busy server holds it) and a warm-up pass of other queries, every
query is timed once; p50/p95/p99/max are printed per mode: plain, with filters, page 5, and the
whole page through Django's test Client (no network).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BRIEFS = 200
WARMUP = 50


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000, help="published articles")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--queries", type=int, default=200, help="timed queries per mode")
    parser.add_argument("--source", metavar="DIR", help="a seeded VAR_DIR to copy (SQLite)")
    parser.add_argument("--keep", metavar="DIR", help="scratch VAR_DIR to create or reuse (SQLite)")
    parser.add_argument("--seed", type=int, default=1, help="seed for content and queries")
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.articles < 1 or args.queries < 1:
        parser.error("--articles and --queries must be at least 1")
    return args


# --- the parent: one child process per backend


def main() -> None:
    args = parse_args()
    if args.child:
        print(json.dumps(run_child(args)))
        return
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    reports = []
    for name in backends:
        command = [sys.executable, __file__, "--child", name, *sys.argv[1:]]
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            sys.exit(f"FAILED: the {name} run exited with {done.returncode}")
        reports.append(json.loads(lines[-1]))
    for report in reports:
        print_report(report)
    print(json.dumps(reports))


def print_report(r: dict) -> None:
    print(f"\n== {r['backend']}: {r['articles']:,} articles, {r['briefs']:,} briefs "
          f"({r['machine']})")
    if r.get("seed_seconds"):
        print(f"seed: {r['seed_seconds']:.1f} s")
    print(f"search-rebuild: {r['rebuild_seconds']:.1f} s ({r['rebuild']})")
    print(f"{'mode':<34}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}   ms, {r['queries']} queries")
    for mode, s in r["modes"].items():
        print(f"{mode:<34}{s['p50']:>8.2f}{s['p95']:>8.2f}{s['p99']:>8.2f}{s['max']:>8.2f}")
    print(f"results per query (capped at 1,001): median {r['median_total']:,}; "
          f"queries per page: {r['page_queries']}")


# --- the child: set up Django against one database and measure


def run_child(args) -> dict:
    server = None
    try:
        if args.child == "postgres":
            from masthead.core.localservices import start_postgres

            server = start_postgres()
            os.environ["DATABASE_URL"] = server.url
            var_dir = Path(tempfile.mkdtemp(prefix="masthead-bench-search-pg-"))
        else:
            var_dir = Path(args.keep) if args.keep else Path(
                tempfile.mkdtemp(prefix="masthead-bench-search-"))
            copy_source(args.source, var_dir)
        setup_django(var_dir)
        report = measure(args)
        report["backend"] = args.child
        return report
    finally:
        if server is not None:
            server.stop()
        if not args.keep or args.child == "postgres":
            shutil.rmtree(var_dir, ignore_errors=True)


def copy_source(source: str | None, var_dir: Path) -> None:
    """Copy a seeded VAR_DIR's database and media into `var_dir` (once)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    if not source or (var_dir / "db.sqlite3").exists():
        return
    import sqlite3

    src = Path(source)
    with sqlite3.connect(f"file:{src / 'db.sqlite3'}?mode=ro", uri=True) as db, \
            sqlite3.connect(var_dir / "db.sqlite3") as target:
        db.backup(target)  # a consistent copy even if someone is writing to the source
    if (src / "media").is_dir() and not (var_dir / "media").exists():
        shutil.copytree(src / "media", var_dir / "media")


def setup_django(var_dir: Path) -> None:
    os.environ["VAR_DIR"] = str(var_dir)
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    for name in ("CACHE_URL", "MEDIA_ROOT", "STATIC_ROOT"):
        os.environ.pop(name, None)
    os.environ["DEBUG"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ["DJANGO_SETTINGS_MODULE"] = "masthead.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def measure(args) -> dict:
    import platform

    from django.core.management import call_command

    from masthead.briefs.models import Brief
    from masthead.editorial.models import PublishedArticle

    log = sys.stderr
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    missing = args.articles - PublishedArticle.objects.count()
    seed_seconds = 0.0
    if missing > 0:
        started = time.monotonic()
        call_command("seed", articles=missing, briefs=max(0, BRIEFS - Brief.objects.count()),
                     seed=args.seed, stdout=log)
        seed_seconds = time.monotonic() - started
    started = time.monotonic()
    call_command("search_rebuild", stdout=log, stderr=log)
    rebuild_seconds = time.monotonic() - started
    from masthead.discovery.models import SearchEntry

    queries = make_queries(args.queries, args.seed)
    warmup = make_queries(WARMUP, args.seed + 1000)
    warm_index()
    modes, totals = run_modes(queries, warmup)
    return {
        "articles": PublishedArticle.objects.count(),
        "briefs": Brief.objects.live().count(),
        "entries": SearchEntry.objects.count(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "seed_seconds": seed_seconds,
        "rebuild_seconds": rebuild_seconds,
        "rebuild": "full build" if seed_seconds or not args.keep else "existing index",
        "queries": len(queries),
        "modes": modes,
        "median_total": int(statistics.median(totals)),
        "page_queries": count_page_queries(queries[0]),
        "sample": queries[:12],
    }


def warm_index() -> None:
    """Read the text index once, as a busy server would have it in memory (OS page cache);
    otherwise the first mode timed pays for reading it from disk."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for table in ("discovery_search_fts", "discovery_search_head"):
                cursor.execute(f"SELECT sum(length(block)) FROM {table}_data")
            cursor.execute("SELECT sum(length(body)) FROM discovery_searchentry")
        else:
            cursor.execute("SELECT sum(length(document::text)) FROM discovery_searchentry")


def make_queries(count: int, seed: int) -> list[str]:
    """Realistic reader queries over the seed's vocabulary (see the module doc)."""
    from masthead.editorial.management.commands.seed import LAST_NAMES, WORDS

    rng = random.Random(f"search-bench:{seed}")

    def word() -> str:
        w = rng.choice(WORDS)
        return w + "s" if rng.random() < 0.1 and not w.endswith("s") else w  # stemmed forms

    queries = []
    for _ in range(count):
        r = rng.random()
        if r < 0.05:
            queries.append(f'"{rng.choice(WORDS)} {rng.choice(WORDS)}"')
        elif r < 0.10:
            queries.append(f"{word()} -{rng.choice(WORDS)}")
        elif r < 0.18:
            queries.append(rng.choice(LAST_NAMES) + ("" if rng.random() < 0.5 else f" {word()}"))
        else:
            queries.append(" ".join(word() for _ in range(rng.choice([1, 1, 2, 2, 3]))))
    return queries


def run_modes(queries: list[str], warmup: list[str]) -> tuple[dict, list[int]]:
    from datetime import date, timedelta

    from django.test import Client

    from masthead.core import versioning
    from masthead.discovery.search import query as search_query
    from masthead.discovery.search import selectors
    from masthead.discovery.search.backends import Filters
    from masthead.editorial.models import Author, Section

    section = Section.objects.order_by("pk").values_list("pk", flat=True).first()
    author = Author.objects.order_by("pk").values_list("pk", flat=True).first()
    totals: list[int] = []

    def selector(filters=None, number=1, record=False):
        def run(q):
            page = selectors.search_page(search_query.parse(q), filters or Filters(), number)
            if record:
                totals.append(page.total + page.more)
        return run

    client = Client()
    versioning.cache.clear()

    def view(q):
        response = client.get("/search/", {"q": q})
        if response.status_code != 200:
            sys.exit(f"FAILED: /search/?q={q} returned {response.status_code}")

    modes = {
        "selector, page 1 (the target)": selector(record=True),
        "selector, section filter": selector(Filters(section_id=section)),
        "selector, author filter": selector(Filters(author_id=author)),
        "selector, last 365 days": selector(Filters(date_from=date.today() - timedelta(365))),
        "selector, page 5": selector(number=5),
        "whole page (test Client)": view,
    }
    return {name: timed(run, queries, warmup) for name, run in modes.items()}, totals


def timed(run, queries: list[str], warmup: list[str]) -> dict:
    for q in warmup:
        run(q)
    samples = []
    for q in queries:
        started = time.perf_counter()
        run(q)
        samples.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": statistics.median(samples), "p95": cuts[94], "p99": cuts[98],
            "max": max(samples)}


def count_page_queries(q: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.get("/search/", {"q": q})
    with CaptureQueriesContext(connection) as ctx:
        client.get("/search/", {"q": q})
    return len(ctx.captured_queries)


if __name__ == "__main__":
    main()
