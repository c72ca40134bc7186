"""The security headers of every kind of reader page and of the admin login (`make audit`).

    .venv/bin/python audit/headers.py [--url http://127.0.0.1:PORT]

Without --url, starts a production-like app with the demo magazine (audit/instance.py) and stops it
afterwards. Each page is fetched twice (the second answer usually comes from the app page cache,
which must keep the headers) as nginx would forward it (Host news.example.org, https). Checks:

* Content-Security-Policy, whose script-src (or default-src, if it has none) has no
  'unsafe-inline' (nor 'unsafe-eval');
* X-Content-Type-Options: nosniff;
* Referrer-Policy, and not one that leaks full URLs to other sites (unsafe-url,
  no-referrer-when-downgrade);
* X-Frame-Options DENY or SAMEORIGIN, or a CSP frame-ancestors;
* Permissions-Policy;
* Strict-Transport-Security (the site is https), reported but not required on error pages.

Feeds, sitemaps and robots.txt are not documents a browser renders: only nosniff is required.
Prints one row per page and exits 1 if anything required is missing.
"""

from __future__ import annotations

import argparse
import http.client
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from instance import HEADERS, app_url  # noqa: E402

HTML_CHECKS = ("csp", "nosniff", "referrer", "framing", "permissions", "hsts")
OTHER_CHECKS = ("nosniff",)
LEAKY_REFERRER = {"unsafe-url", "no-referrer-when-downgrade"}


def fetch(base: str, path: str) -> tuple[int, dict[str, str], str]:
    """GET base+path without following redirects; (status, lower-cased headers, body)."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request("GET", path, headers=HEADERS)
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def csp_directives(value: str) -> dict[str, list[str]]:
    directives = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), [w.lower() for w in words[1:]])
    return directives


def check(headers: dict[str, str], checks: tuple[str, ...]) -> dict[str, str]:
    """{check: "" when it passes, else what is wrong}."""
    problems = {}
    csp = csp_directives(headers.get("content-security-policy", ""))
    if "csp" in checks:
        if not csp:
            problems["csp"] = "no Content-Security-Policy"
        else:
            scripts = csp.get("script-src", csp.get("default-src"))
            if scripts is None:
                problems["csp"] = "no script-src or default-src"
            elif bad := [s for s in scripts if s in ("'unsafe-inline'", "'unsafe-eval'")]:
                problems["csp"] = f"script-src allows {' '.join(bad)}"
    if "nosniff" in checks and headers.get("x-content-type-options", "").lower() != "nosniff":
        problems["nosniff"] = f"X-Content-Type-Options {headers.get('x-content-type-options')!r}"
    if "referrer" in checks:
        policy = headers.get("referrer-policy", "")
        last = policy.split(",")[-1].strip().lower()  # browsers use the last one they know
        if not policy:
            problems["referrer"] = "no Referrer-Policy"
        elif last in LEAKY_REFERRER:
            problems["referrer"] = f"Referrer-Policy {policy}"
    if "framing" in checks:
        xfo = headers.get("x-frame-options", "").upper()
        if xfo not in ("DENY", "SAMEORIGIN") and "frame-ancestors" not in csp:
            problems["framing"] = "neither X-Frame-Options nor CSP frame-ancestors"
    if "permissions" in checks and not headers.get("permissions-policy"):
        problems["permissions"] = "no Permissions-Policy"
    if "hsts" in checks and "max-age=" not in headers.get("strict-transport-security", ""):
        problems["hsts"] = "no Strict-Transport-Security"
    return problems


def pages(base: str) -> list[tuple[str, str, int, tuple[str, ...]]]:
    """(label, path, expected status, checks) for every kind of page, found from the site."""
    _, _, home = fetch(base, "/")

    def first(prefix: str) -> str:
        found = re.search(rf'href="({re.escape(prefix)}[^"?#]+/)"', home)
        return found.group(1) if found else prefix

    found = [
        ("home", "/", 200), ("article", first("/articles/"), 200),
        ("archive", "/articles/", 200),
        ("section", first("/section/"), 200), ("kind", first("/kind/"), 200),
        ("author", first("/authors/"), 200), ("briefs", "/briefs/", 200),
        ("search", "/search/?q=energy", 200), ("search, empty", "/search/", 200),
        ("newsletter", "/newsletter/", 200), ("newsletter thanks", "/newsletter/thanks/", 200),
        ("about (plain page)", "/about/", 200), ("not found", "/no-such-page/", 404),
        ("admin login", "/admin/login/", 200),
    ]
    _, _, article = fetch(base, found[1][1])
    tag = re.search(r'href="(/tag/[^"?#]+/)"', article)
    if tag:
        found.insert(6, ("tag", tag.group(1), 200))
    rows = [(label, path, status, HTML_CHECKS) for label, path, status in found]
    rows += [(label, path, 200, OTHER_CHECKS) for label, path in (
        ("feed (RSS)", "/feeds/rss.xml"), ("feed (JSON)", "/feeds/feed.json"),
        ("sitemap", "/sitemap.xml"), ("robots.txt", "/robots.txt"))]
    return rows


def audit(base: str, say=print) -> list[str]:
    """The problems found (empty: all good); prints a table."""
    problems = []
    policies: dict[str, str] = {}
    say(f"\n{'page':<22}{'path':<34}{'status':>7}  " + "  ".join(f"{c:<11}" for c in HTML_CHECKS))
    for label, path, expected, checks in pages(base):
        results: dict[str, str] = {}
        statuses = []
        for _ in range(2):  # a miss, then usually a hit in the app page cache
            status, headers, _ = fetch(base, path)
            statuses.append(status)
            if label in ("home", "admin login"):
                policies[label] = headers.get("content-security-policy", "(none)")
            for name, problem in check(headers, checks).items():
                results.setdefault(name, problem)
        if any(s != expected for s in statuses):
            problems.append(f"{label} {path}: status {statuses}, expected {expected}")
        cells = []
        for name in HTML_CHECKS:
            if name not in checks:
                cells.append("-")
            elif name in results:
                cells.append("MISSING" if results[name].startswith(("no ", "neither")) else "BAD")
                # HSTS is not required of error pages, and only reported for the admin.
                if not (name == "hsts" and expected >= 400):
                    problems.append(f"{label} {path}: {results[name]}")
            else:
                cells.append("ok")
        say(f"{label:<22}{path[:33]:<34}{'/'.join(map(str, statuses)):>7}  "
            + "  ".join(f"{c:<11}" for c in cells))
    for label, policy in policies.items():
        say(f"CSP of {label}: {policy}")
    return problems


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", help="an app already running (as audit/instance.py starts it)")
    args = p.parse_args(argv)
    with app_url(args.url) as base:
        problems = audit(base)
    if problems:
        print("\nHEADERS: FAIL\n  " + "\n  ".join(problems))
        return 1
    print("\nHEADERS: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
