"""Sitemaps: an index, paged article sitemaps, the other reader pages, and Google News.

Everything is read from PublishedArticle and its join tables (never the Wagtail pages, whose
StreamFields are large), as `values_list` rows of a URL and dates: at 100,000 articles a sitemap
of 50,000 URLs never loads an article body. Each document is written with a real XML writer
(`xml.sax.saxutils.XMLGenerator`) and held in process memory per content version, like the
chrome; the news sitemap also changes as time passes, so it is rebuilt every few minutes too.

    /sitemap.xml                  the index: article sitemaps, then the pages sitemap
    /sitemaps/articles-<n>.xml    articles, newest first, SITEMAP_PAGE_SIZE (≤ 50,000) per page
    /sitemaps/pages.xml           home, archive, sections, kinds, briefs, plain pages, authors, tags
    /sitemaps/news.xml            articles published in the last 48 hours (at most 1,000)

The news sitemap is not in the index: robots.txt names it beside the index, and it is the one
to submit to Google News.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from xml.sax.saxutils import XMLGenerator

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.encoding import iri_to_uri
from wagtail.models import Page

from masthead.briefs.models import Brief
from masthead.core import versioning
from masthead.core.selectors import magazine
from masthead.editorial import selectors
from masthead.editorial.models import (
    PublishedArticle,
    PublishedArticleAuthor,
    PublishedArticleSection,
    PublishedArticleTag,
    StandardPage,
)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
MAX_URLS = 50_000  # the sitemaps protocol's limit per file
NEWS_WINDOW = timedelta(hours=48)
NEWS_MAX = 1_000
NEWS_REFRESH_SECONDS = 300  # the news window slides: rebuild at least this often
_PLAIN_PATH = re.compile(r"^/[A-Za-z0-9\-._~/]*$")


class Entry(NamedTuple):
    """One <url> (or one <sitemap> of the index): an absolute address and when it last changed."""

    loc: str
    lastmod: datetime | None = None


class NewsItem(NamedTuple):
    loc: str
    title: str
    published_at: datetime


def page_size() -> int:
    """URLs per article sitemap: SITEMAP_PAGE_SIZE, within the protocol's 50,000."""
    return max(1, min(int(settings.SITEMAP_PAGE_SIZE), MAX_URLS))


def absolute(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return iri_to_uri(path)
    if _PLAIN_PATH.match(path):  # our own slugs: skip the (costly at 50,000) IRI conversion
        return settings.SITE_URL + path
    return settings.SITE_URL + iri_to_uri(path)


def _aware(value) -> datetime | None:
    """A datetime from a raw SQL row (SQLite gives text, PostgreSQL a datetime)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _newest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def w3c(value: datetime) -> str:
    """W3C datetime, as the sitemaps protocol wants: 2026-11-01T08:00:00+00:00."""
    if value.utcoffset():
        value = value.astimezone(UTC)
    return value.isoformat(timespec="seconds")


# --- reads


def _articles():
    return PublishedArticle.objects.order_by("-published_at", "-page_id")


def article_chunks(size: int) -> list[datetime | None]:
    """The newest lastmod of each article sitemap, newest sitemap first, in one query.

    Rows are numbered along the (-published_at) order and grouped by page; only the two dates are
    read. (An updated_at can make an old page newer than it looks, so it cannot come from the
    index alone.)
    """
    q = connection.ops.quote_name
    sql = (
        f"SELECT r.chunk, MAX(r.published_at), MAX(r.updated_at) FROM ("
        f"SELECT (ROW_NUMBER() OVER (ORDER BY {q('published_at')} DESC, {q('page_id')} DESC) - 1)"
        f" / %s AS chunk, {q('published_at')} AS published_at, {q('updated_at')} AS updated_at"
        f" FROM {q(PublishedArticle._meta.db_table)}) r GROUP BY r.chunk ORDER BY r.chunk"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [size])
        rows = cursor.fetchall()
    return [_newest(_aware(published), _aware(updated)) for _, published, updated in rows]


def article_entries(number: int, size: int) -> list[Entry] | None:
    """Page `number` of all articles, newest first; None past the last page.

    Keyset paging: the page's first (published_at, page_id) is read from the (-published_at)
    index alone, then the page is one range scan of at most `size` rows. Two queries at most.
    """
    qs = _articles()
    if number > 1:
        try:
            start_at, start_id = qs.values_list("published_at", "page_id")[(number - 1) * size]
        except IndexError:
            return None
        qs = qs.filter(published_at__lte=start_at).exclude(
            published_at=start_at, page_id__gt=start_id
        )
    rows = qs.values_list("url", "published_at", "updated_at")[:size]
    site = settings.SITE_URL  # read once: 50,000 lookups on the lazy settings object add up
    entries = [
        Entry(site + url if _PLAIN_PATH.match(url) else absolute(url),
              updated if updated and updated > published else published)
        for url, published, updated in rows
    ]
    return entries or None


def page_entries(token: str) -> list[Entry]:
    """Every reader page other than an article, with the date of the newest story it lists.

    A handful of grouped queries on the join tables' (key, -published_at) indexes, whatever the
    number of articles. Authors and tags are listed only when they have a live article.
    """
    newest = PublishedArticle.objects.aggregate(last=Max("published_at"))["last"]
    by_section = dict(
        PublishedArticleSection.objects.values_list("section_id").annotate(Max("published_at"))
    )
    by_kind = dict(PublishedArticle.objects.values_list("kind_id").annotate(Max("published_at")))
    briefs = Brief.objects.live().aggregate(last=Max("last_published_at"))["last"]
    entries = [Entry(absolute("/"), newest), Entry(absolute("/articles/"), newest)]
    entries += [Entry(absolute(f"/section/{s['slug']}/"), by_section.get(s["id"]))
                for s in selectors.site_sections(token)]
    entries += [Entry(absolute(f"/kind/{k['slug']}/"), by_kind.get(k["id"]))
                for k in selectors.site_kinds(token)]
    entries.append(Entry(absolute("/briefs/"), briefs))
    entries += _standard_pages()
    for join, slug, prefix in ((PublishedArticleAuthor, "author__slug", "/authors/"),
                               (PublishedArticleTag, "tag__slug", "/tag/")):
        rows = join.objects.values_list(slug).annotate(last=Max("published_at")).order_by("-last")
        entries += [Entry(absolute(f"{prefix}{s}/"), last) for s, last in rows]
    return entries[:MAX_URLS]


def _standard_pages() -> list[Entry]:
    """Live, public plain pages (About...), as base Page rows: no body is loaded."""
    pages = (Page.objects.live().public().type(StandardPage)
             .only("id", "path", "depth", "url_path", "last_published_at"))
    entries = []
    for page in pages:
        url = page.get_url()
        if url:
            entries.append(Entry(absolute(url), page.last_published_at))
    return entries


def news_items(now: datetime) -> list[NewsItem]:
    rows = (_articles().filter(published_at__gte=now - NEWS_WINDOW, published_at__lte=now)
            .values_list("url", "headline", "published_at")[:NEWS_MAX])
    return [NewsItem(absolute(url), headline, published) for url, headline, published in rows]


# --- XML


class _Writer:
    """Elements onto an XMLGenerator: it escapes text and attributes and declares the encoding.

    Text is collected as str and encoded once at the end: twice as fast as letting the
    generator encode each piece, which counts at 50,000 URLs.
    """

    def __init__(self):
        self.out = io.StringIO()
        self.xml = XMLGenerator(self.out, encoding="utf-8", short_empty_elements=False)
        self.xml.startDocument()
        self.start, self.end = self.xml.startElement, self.xml.endElement

    def leaf(self, name: str, text: str) -> None:
        self.start(name, {})
        self.xml.characters(text)
        self.end(name)

    def bytes(self) -> bytes:
        self.xml.endDocument()
        return self.out.getvalue().encode("utf-8")


def _dated(w: _Writer, element: str, entries: Iterable[Entry]) -> None:
    for loc, lastmod in entries:
        w.start(element, {})
        w.leaf("loc", loc)
        if lastmod:
            w.leaf("lastmod", w3c(lastmod))
        w.end(element)


def index_xml(children: Iterable[Entry]) -> bytes:
    w = _Writer()
    w.start("sitemapindex", {"xmlns": SITEMAP_NS})
    _dated(w, "sitemap", children)
    w.end("sitemapindex")
    return w.bytes()


def urlset_xml(entries: Iterable[Entry]) -> bytes:
    w = _Writer()
    w.start("urlset", {"xmlns": SITEMAP_NS})
    _dated(w, "url", entries)
    w.end("urlset")
    return w.bytes()


def news_xml(items: Iterable[NewsItem], *, name: str, language: str) -> bytes:
    w = _Writer()
    w.start("urlset", {"xmlns": SITEMAP_NS, "xmlns:news": NEWS_NS})
    for item in items:
        w.start("url", {})
        w.leaf("loc", item.loc)
        w.start("news:news", {})
        w.start("news:publication", {})
        w.leaf("news:name", name)
        w.leaf("news:language", language)
        w.end("news:publication")
        w.leaf("news:publication_date", w3c(item.published_at))
        w.leaf("news:title", item.title)
        w.end("news:news")
        w.end("url")
    w.end("urlset")
    return w.bytes()


# --- documents, held per content version


def article_count(token: str) -> int:
    return versioning.cached("sitemap-article-count", lambda: _articles().count(), token=token)


def article_pages(token: str) -> int:
    return -(-article_count(token) // page_size())


def index_document(token: str) -> bytes:
    size = page_size()

    def build() -> bytes:
        children = [Entry(absolute(f"/sitemaps/articles-{n}.xml"), lastmod)
                    for n, lastmod in enumerate(article_chunks(size), start=1)]
        pages = _page_entries(token)
        children.append(Entry(absolute("/sitemaps/pages.xml"),
                              _newest(*(e.lastmod for e in pages))))
        return index_xml(children)

    return versioning.cached(("sitemap-index", size), build, token=token)


def articles_document(token: str, number: int) -> bytes | None:
    """Article sitemap `number` (from 1), or None when there is no such page.

    The range is checked against a cached count first, so requests for made-up pages cost one
    cheap query and fill no cache entries.
    """
    size = page_size()
    if not 1 <= number <= article_pages(token):
        return None

    def build() -> bytes | None:
        entries = article_entries(number, size)
        return None if entries is None else urlset_xml(entries)

    return versioning.cached(("sitemap-articles", number, size), build, token=token)


def _page_entries(token: str) -> list[Entry]:
    return versioning.cached("sitemap-page-entries", lambda: page_entries(token), token=token)


def pages_document(token: str) -> bytes:
    return versioning.cached(
        "sitemap-pages", lambda: urlset_xml(_page_entries(token)), token=token
    )


def news_document(token: str, now: datetime | None = None) -> bytes:
    """The Google News sitemap: rebuilt on a publish and every NEWS_REFRESH_SECONDS."""
    now = now or timezone.now()
    window = int(now.timestamp()) // NEWS_REFRESH_SECONDS

    def build() -> bytes:
        return news_xml(news_items(now), name=magazine(token)["name"], language=news_language())

    # One entry, replaced when the content or the window changes (never one per window).
    return versioning.cached("sitemap-news", build, token=f"{token}:{window}")


def news_language() -> str:
    """ISO 639 code for Google News: 'en' from 'en-gb' (Chinese keeps its script: zh-cn, zh-tw)."""
    code = settings.LANGUAGE_CODE.lower()
    return code if code in ("zh-cn", "zh-tw") else code.split("-")[0]


def robots_txt() -> str:
    site = settings.SITE_URL
    return (
        "User-agent: *\n"
        "# The admin, where every preview and draft lives, and the password form of private pages\n"
        "Disallow: /admin/\n"
        "Disallow: /_util/\n"
        "# Result pages of searches and the share hand-off are not content\n"
        "Disallow: /search/\n"
        "Disallow: /share/\n"
        "\n"
        f"Sitemap: {site}/sitemap.xml\n"
        f"Sitemap: {site}/sitemaps/news.xml\n"
    )
