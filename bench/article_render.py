"""Time the in-process render of article pages (/articles/<slug>/) on a scratch database.

    .venv/bin/python bench/article_render.py [--articles 1000] [--requests 300] [--keep DIR]

Creates a scratch VAR_DIR (a temporary directory, removed afterwards, or --keep DIR to reuse it,
so 100,000 articles are seeded only once), migrates it, runs `masthead seed` until it holds
--articles published articles, then requests random articles through Django's test Client (the
whole middleware stack, no network) in two modes:

* cold: versioning.cache is cleared before every request, so the chrome, LATEST, briefs and the
  related stories are rebuilt: the closest to the first request after a publish;
* warm: every URL is requested once untimed, then timed: what a busy process serves.

Prints wall and CPU milliseconds per request (median, p90, p99), queries per page (captured on
one request of each mode) and the response size, then the same as one line of JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BRIEFS = 200  # enough for the briefs sidebar on every page


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="published articles wanted")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per mode")
    parser.add_argument("--keep", metavar="DIR", help="scratch VAR_DIR to create or reuse")
    parser.add_argument("--seed", type=int, default=1, help="seed for content and slug choice")
    args = parser.parse_args()
    if args.articles < 1 or args.requests < 1:
        parser.error("--articles and --requests must be at least 1")
    return args


def setup_django(var_dir: Path) -> None:
    """Point every setting that could reach real data at the scratch directory, then set up."""
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ["VAR_DIR"] = str(var_dir)
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    for name in ("DATABASE_URL", "CACHE_URL", "MEDIA_ROOT", "STATIC_ROOT"):
        os.environ.pop(name, None)  # scratch SQLite, memory cache, media under VAR_DIR
    os.environ["DEBUG"] = "false"  # no query log: it would slow every request
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ["DJANGO_SETTINGS_MODULE"] = "masthead.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare(articles: int, seed: int) -> tuple[int, float]:
    """Migrate, collect static files (as `masthead serve` does: pages look up the manifest),
    then seed up to `articles`. Returns (articles seeded now, seconds spent seeding)."""
    from django.core.management import call_command

    from masthead.briefs.models import Brief
    from masthead.editorial.models import PublishedArticle

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    missing = articles - PublishedArticle.objects.count()
    if missing <= 0:
        return 0, 0.0
    started = time.monotonic()
    briefs = max(0, BRIEFS - Brief.objects.count())
    call_command("seed", articles=missing, briefs=briefs, seed=seed)
    return missing, time.monotonic() - started


def pick_urls(count: int, seed: int) -> list[str]:
    from masthead.editorial.models import PublishedArticle

    slugs = list(PublishedArticle.objects.order_by("pk").values_list("slug", flat=True))
    rng = random.Random(seed)
    chosen = rng.sample(slugs, count) if count <= len(slugs) else rng.choices(slugs, k=count)
    return [f"/articles/{slug}/" for slug in chosen]


def fetch(client, url: str):
    """GET url; stop the bench with a clear message unless it renders (200)."""
    try:
        response = client.get(url)
    except Exception as exc:
        print(f"FAILED: GET {url} raised {type(exc).__name__}: {exc}", file=sys.stderr)
        raise
    if response.status_code != 200:
        body = response.content[:600].decode(errors="replace")
        sys.exit(f"FAILED: GET {url} returned {response.status_code}:\n{body}")
    return response


def count_queries(client, url: str, *, cold: bool) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from masthead.core import versioning

    if cold:
        versioning.cache.clear()
    else:
        fetch(client, url)  # fills this article's related stories
    with CaptureQueriesContext(connection) as queries:
        fetch(client, url)
    return len(queries.captured_queries)


def timed_pass(client, urls: list[str], *, cold: bool) -> dict[str, list[float]]:
    from masthead.core import versioning

    wall, cpu, size = [], [], []
    for url in urls:
        if cold:
            versioning.cache.clear()
        w0, c0 = time.perf_counter(), time.process_time()
        response = fetch(client, url)
        w1, c1 = time.perf_counter(), time.process_time()
        wall.append((w1 - w0) * 1000)
        cpu.append((c1 - c0) * 1000)
        size.append(len(response.content))
    return {"wall": wall, "cpu": cpu, "size": size}


def percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {"median": values[0], "p90": values[0], "p99": values[0]}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"median": statistics.median(values), "p90": cuts[89], "p99": cuts[98]}


def run_mode(client, urls: list[str], *, cold: bool) -> dict:
    queries = count_queries(client, urls[0], cold=cold)
    if not cold:
        for url in urls:  # untimed: every article's related stories now in process memory
            fetch(client, url)
    samples = timed_pass(client, urls, cold=cold)
    return {
        "wall_ms": {k: round(v, 2) for k, v in percentiles(samples["wall"]).items()},
        "cpu_ms": {k: round(v, 2) for k, v in percentiles(samples["cpu"]).items()},
        "queries": queries,
        "bytes": int(statistics.median(samples["size"])),
    }


def show(mode: str, r: dict) -> None:
    wall, cpu = r["wall_ms"], r["cpu_ms"]
    print(
        f"{mode:<5} wall ms  median {wall['median']:7.2f}  p90 {wall['p90']:7.2f}  "
        f"p99 {wall['p99']:7.2f} | cpu ms  median {cpu['median']:7.2f}  p90 {cpu['p90']:7.2f}  "
        f"p99 {cpu['p99']:7.2f} | queries {r['queries']:3d} | bytes {r['bytes']:,}"
    )


def measure(args: argparse.Namespace, var_dir: Path) -> dict:
    setup_django(var_dir)
    seeded, seed_seconds = prepare(args.articles, args.seed)
    from django.test import Client

    from masthead.editorial.models import PublishedArticle

    urls = pick_urls(args.requests, args.seed)
    client = Client()
    for url in urls[:5]:  # imports, template compilation, connection setup
        fetch(client, url)
    return {
        "bench": "article_render",
        "articles": PublishedArticle.objects.count(),
        "requests": len(urls),
        "distinct_urls": len(set(urls)),
        "seeded": seeded,
        "seed_seconds": round(seed_seconds, 1),
        "cold": run_mode(client, urls, cold=True),
        "warm": run_mode(client, urls, cold=False),
    }


def report(summary: dict, var_dir: Path, kept: bool) -> None:
    import django
    import wagtail

    seeded = summary["seeded"]
    print("article render bench: GET /articles/<slug>/ through django.test.Client, in process")
    print(f"  var dir    {var_dir}{'' if kept else ' (removed)'}")
    print(
        f"  articles   {summary['articles']:,} published"
        + (f" ({seeded:,} seeded now in {summary['seed_seconds']:.1f} s)" if seeded else "")
    )
    print(
        f"  requests   {summary['requests']:,} per mode, {summary['distinct_urls']:,} distinct "
        "random articles"
    )
    print(
        f"  versions   Python {platform.python_version()}, Django {django.__version__}, "
        f"Wagtail {wagtail.__version__}, SQLite {sqlite3.sqlite_version}"
    )
    for mode in ("cold", "warm"):
        show(mode, summary[mode])
    print(json.dumps(summary))


def main() -> None:
    args = parse_args()
    var_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="masthead-bench-"))
    var_dir = var_dir.resolve()
    try:
        summary = measure(args, var_dir)
    finally:
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
    report(summary, var_dir, kept=bool(args.keep))


if __name__ == "__main__":
    main()
