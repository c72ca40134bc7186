"""Time /sitemap.xml, the article sitemaps, the news sitemap and robots.txt on a seeded database.

    .venv/bin/python bench/sitemaps.py --var-dir /tmp/masthead-bench-100k

The database in VAR_DIR is only read (seed one with `masthead seed --articles 100000`). For each
URL: the response size, the time to build it after the per-version cache is cleared ("rebuilt",
median of 3) with its query count, and the warm time (median of 20). Fails if any query reads an
article body.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

URLS = ["/sitemap.xml", "/sitemaps/articles-1.xml", "/sitemaps/articles-2.xml",
        "/sitemaps/pages.xml", "/sitemaps/news.xml", "/robots.txt"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--var-dir", required=True, type=Path)
    args = parser.parse_args()
    os.environ.update(VAR_DIR=str(args.var_dir), DJANGO_SETTINGS_MODULE="masthead.settings",
                      ALLOWED_HOSTS="testserver", DEBUG="false")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from masthead.core import versioning
    from masthead.editorial.models import PublishedArticle

    client = Client()
    print(f"articles: {PublishedArticle.objects.count():,}")
    client.get("/robots.txt")  # imports and the content token
    for url in URLS:
        rebuilt, queries = [], []
        for _ in range(3):
            versioning.cache.clear()
            seen: list[str] = []

            def spy(execute, sql, params, many, context, seen=seen):
                seen.append(sql)
                return execute(sql, params, many, context)

            started = time.perf_counter()
            with connection.execute_wrapper(spy):
                response = client.get(url)
            rebuilt.append((time.perf_counter() - started) * 1000)
            queries.append(len(seen))
            if response.status_code == 404:
                break
            assert response.status_code == 200, (url, response.status_code)
            assert not any("body_html" in s or '"body"' in s for s in seen), url
        if response.status_code == 404:
            print(f"{url:28} (404: not enough articles for this page)")
            continue
        warm = []
        for _ in range(20):
            started = time.perf_counter()
            client.get(url)
            warm.append((time.perf_counter() - started) * 1000)
        print(f"{url:28} {len(response.content):>10,} bytes  rebuilt "
              f"{statistics.median(rebuilt):8.1f} ms ({max(queries)} queries)  warm "
              f"{statistics.median(warm):6.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
