"""The load test's readers, searchers and sign-ups (`make load`, run by load/run.py).

Three kinds of visitor, anonymous like almost all of a magazine's traffic:

* **Readers** (most users): home → a section → an article → one of its related stories; land
  straight on an article (from a search engine or a share: any of the seeded stories, from the
  sitemap); page through a listing (`?page=N`: the archive at a random depth, a section, tag or
  author by "Older →"); the briefs stream; feeds (RSS, Atom, JSON; site, section, full, briefs).
* **Searchers**: `/search/?q=…` with the words readers of the demo magazine would type (its tags
  and subjects), two-word queries from the seeded vocabulary (many distinct URLs, so many go to
  the app), now and then a section or kind filter and the second page of results.
* **Sign-ups**: the newsletter form, from the newsletter page or from the box beside an article
  (with its Referer), each with a new address; one post in ten fills the honeypot, as a bot would.
  The per-IP limit (NEWSLETTER_RATE_PER_IP) is raised for the run by load/run.py: every request
  here comes from 127.0.0.1.

What the site holds (sections, tags, authors, every article's URL, how deep the archive goes) is
read once at the start, outside the statistics. Every request states what it expects (200, or
the 303 of an accepted sign-up); anything else is a failure. LOAD_SUMMARY names a JSON file
written at the end with the responses counted by status, the server errors (>= 500) and
connection errors by URL: load/run.py decides from it and from the CSV statistics.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter, defaultdict

from locust import FastHttpUser, between, events, task

# --- What readers of The Meridian Review search for: the demo content's subjects and tags.
QUERIES = [
    "energy", "infrastructure", "security", "enlargement", "balkans", "lithium", "water",
    "mining", "climate", "trade", "rivers", "finance", "afcfta", "ports", "logistics", "gulf",
    "humanitarian corridors", "diplomacy", "fisheries", "maritime", "pacific islands", "books",
    "arctic", "shipping", "canada", "oceans", "sanctions", "seabed", "desalination", "amazon",
    "tuna", "power cables", "salt flats", "insurance", "\"shipping insurance\"", "deep-sea",
    "sanctions -russia", "solar", "grid", "railway", "free trade", "ice", "reefs", "drought",
]
# A slice of `masthead seed`'s word list (masthead/editorial/management/commands/seed.py):
# two of them make a query that the cache has rarely seen.
SEED_WORDS = """
accord agency agenda alliance ambition archive argument assembly audit balance ballot bank
barrier basin bargain border budget cabinet campaign canal capital cargo ceasefire census charter
claim climate coalition coast commerce committee compromise congress consensus constitution
contract corridor council court credit crisis crop currency customs debate debt decree deficit
delta democracy desert diplomacy doctrine drought economy election embassy energy envoy export
famine farm ferry finance fishery fleet flood forest frontier fund grain grid growth harbour
harvest highway hospital import income industry inflation inquiry island judge justice labour
land language ledger levy library loan lobby majority mandate market mayor migration mine
minister mission monsoon museum nation navy network oil opposition parliament partner party
""".split()

NAMES = ["Ada", "Bayo", "Chen", "Dana", "Emeka", "Farah", "Goran", "Hana", "Ines", "Jonas", ""]

HREF = re.compile(r'href="(/[^"#?]*)(?:\?[^"#]*)?"')
NEXT = re.compile(r'<a rel="next" href="([^"]+)"')
LOC = re.compile(r"<loc>https?://[^/<]+(/[^<]*)</loc>")


class Site:
    """What the site holds, read once before the users start (not counted in the stats)."""

    sections: list[str] = []
    kinds: list[str] = []
    tags: list[str] = []
    authors: list[str] = []
    articles: list[str] = []
    archive_pages = 1


def _fetch(host: str, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(host.rstrip("/") + path, timeout=30) as response:  # noqa: S310 - loopback host from --host
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def _paths(html: str, prefix: str) -> list[str]:
    return sorted({p for p in HREF.findall(html) if p.startswith(prefix) and p != prefix})


def _slugs(html: str, prefix: str) -> list[str]:
    return [p[len(prefix):].strip("/") for p in _paths(html, prefix)]


@events.test_start.add_listener
def discover(environment, **kwargs):
    host = environment.host
    _, home = _fetch(host, "/")
    Site.sections = _slugs(home, "/section/")
    Site.kinds = _slugs(home, "/kind/")
    _, archive = _fetch(host, "/articles/")
    Site.tags = _slugs(home + archive, "/tag/")
    Site.authors = _slugs(home + archive, "/authors/")
    _, index = _fetch(host, "/sitemap.xml")
    for sitemap in [p for p in LOC.findall(index) if "/sitemaps/articles-" in p]:
        _, text = _fetch(host, sitemap)
        Site.articles += [p for p in LOC.findall(text) if p.startswith("/articles/")]
    # The archive's last page: the largest N for which /articles/?page=N is 200.
    low, high = 1, 2
    while _fetch(host, f"/articles/?page={high}")[0] == 200:
        low, high = high, high * 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if _fetch(host, f"/articles/?page={mid}")[0] == 200 else (low, mid)
    Site.archive_pages = low
    # A few tags and authors from articles too (the home page shows only the latest).
    for path in random.sample(Site.articles, min(20, len(Site.articles))):
        _, html = _fetch(host, path)
        Site.tags = sorted(set(Site.tags) | set(_slugs(html, "/tag/")))
        Site.authors = sorted(set(Site.authors) | set(_slugs(html, "/authors/")))
    missing = [name for name in ("sections", "kinds", "tags", "authors", "articles")
               if not getattr(Site, name)]
    if missing:
        raise RuntimeError(f"found no {', '.join(missing)} on {host}: is the demo content loaded?")
    print(f"load: {len(Site.articles)} articles, {len(Site.sections)} sections, "
          f"{len(Site.tags)} tags, {len(Site.authors)} authors, archive pages 1-"
          f"{Site.archive_pages}", flush=True)


# --- Counting, for load/run.py's verdict.
STATUS: Counter = Counter()
SERVER_ERRORS: dict[str, Counter] = defaultdict(Counter)


@events.request.add_listener
def count(request_type, name, response, exception, **kwargs):
    status = getattr(response, "status_code", 0) or 0
    STATUS[str(status)] += 1
    if status >= 500 or status == 0:
        what = str(status) if status else f"connection: {type(exception).__name__}"
        SERVER_ERRORS[f"{request_type} {getattr(response, 'url', None) or name}"][what] += 1


@events.quitting.add_listener
def write_summary(environment, **kwargs):
    path = os.environ.get("LOAD_SUMMARY")
    if not path:
        return
    with open(path, "w") as f:
        json.dump({"status": dict(STATUS),
                   "server_errors": {k: dict(v) for k, v in SERVER_ERRORS.items()},
                   "site": {"articles": len(Site.articles), "sections": len(Site.sections),
                            "archive_pages": Site.archive_pages}}, f, indent=2)


# --- The visitors.
class Visitor(FastHttpUser):
    abstract = True
    # A reader spends a few seconds on a page before the next click.
    wait_time = between(1, 4)
    think = (0.5, 3.0)

    def pause(self) -> None:
        time.sleep(random.uniform(*self.think))  # gevent-patched: yields to the other users

    def page(self, path: str, name: str, *, expect: int = 200) -> str:
        """GET `path`, grouped in the statistics under `name`; the body, or "" if unexpected."""
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != expect:
                response.failure(f"{response.status_code}, expected {expect}")
                return ""
            response.success()
            return response.text or ""


class Reader(Visitor):
    weight = 16

    @task(5)
    def browse(self):
        """Home → a section → an article → a related story."""
        self.page("/", "/ (home)")
        self.pause()
        html = self.page(f"/section/{random.choice(Site.sections)}/", "/section/[slug]/")
        stories = _paths(html, "/articles/")
        if not stories:
            return
        self.pause()
        article = random.choice(stories)
        html = self.page(article, "/articles/[slug]/")
        related = [p for p in _paths(html, "/articles/") if p != article]
        if related:
            self.pause()
            self.page(random.choice(related), "/articles/[slug]/ (related)")

    @task(4)
    def land_on_article(self):
        """From a search engine or a share: any story, old or new."""
        self.page(random.choice(Site.articles), "/articles/[slug]/ (landing)")

    @task(2)
    def archive_deep(self):
        self.page(f"/articles/?page={random.randint(2, max(2, Site.archive_pages))}",
                  "/articles/?page=N")

    @task(2)
    def page_through_listing(self):
        """A section, tag, kind or author listing, then "Older →" a page or three."""
        scope, slugs = random.choice([("section", Site.sections), ("tag", Site.tags),
                                      ("kind", Site.kinds), ("authors", Site.authors)])
        base = f"/{scope}/{random.choice(slugs)}/"
        html = self.page(base, f"/{scope}/[slug]/")
        for _ in range(random.randint(1, 3)):
            more = NEXT.search(html)
            if not more:
                break
            self.pause()
            href = more.group(1)
            html = self.page(href if href.startswith("/") else base + href,
                             f"/{scope}/[slug]/?page=N")

    @task(1)
    def briefs(self):
        self.page("/briefs/", "/briefs/")

    @task(1)
    def feed(self):
        fmt = random.choice(["rss.xml", "atom.xml", "feed.json"])
        path, name = random.choice([
            (f"/feeds/{fmt}", "/feeds/[format]"),
            (f"/feeds/full/{fmt}", "/feeds/full/[format]"),
            (f"/feeds/briefs/{fmt}", "/feeds/briefs/[format]"),
            (f"/feeds/section/{random.choice(Site.sections)}/{fmt}", "/feeds/section/[slug]/[format]"),
        ])
        self.page(path, name)


class Searcher(Visitor):
    weight = 3

    @task(3)
    def popular(self):
        self.search(random.choice(QUERIES))

    @task(2)
    def unusual(self):
        self.search(" ".join(random.sample(SEED_WORDS, 2)))

    def search(self, query: str):
        params = {"q": query}
        if random.random() < 0.2:
            params["section"] = random.choice(Site.sections)
        elif random.random() < 0.1:
            params["kind"] = random.choice(Site.kinds)
        query_string = urllib.parse.urlencode(params)
        html = self.page(f"/search/?{query_string}", "/search/?q=…")
        if random.random() < 0.25 and NEXT.search(html):
            self.pause()
            self.page(f"/search/?{query_string}&page=2", "/search/?q=…&page=2")


class SignUp(Visitor):
    weight = 1
    wait_time = between(3, 10)

    @task
    def sign_up(self):
        box = random.random() < 0.5
        if box:  # the box beside a story
            referer = random.choice(Site.articles)
            self.page(referer, "/articles/[slug]/ (before sign-up)")
            source = "box"
        else:
            referer = "/newsletter/"
            self.page(referer, "/newsletter/ (GET)")
            source = "newsletter-page"
        self.pause()
        bot = random.random() < 0.1
        form = {"email": f"load-{uuid.uuid4().hex[:16]}@example.org",
                "name": random.choice(NAMES), "source": source,
                "website": "http://spam.example.net/" if bot else ""}
        with self.client.post("/newsletter/", data=form, allow_redirects=False,
                              name="/newsletter/ (POST, bot)" if bot else "/newsletter/ (POST)",
                              headers={"Referer": self.host.rstrip("/") + referer},
                              catch_response=True) as response:
            location = response.headers.get("Location", "") if response.headers else ""
            if response.status_code == 303 and location.endswith("/newsletter/thanks/"):
                response.success()
            else:
                response.failure(f"{response.status_code} {location!r}, expected 303 to thanks")
                return
        self.page("/newsletter/thanks/", "/newsletter/thanks/")

