"""Reads for reader pages, feeds and emails. One selector per listing, `.values()` cards.

Site-wide data and the lists shown on every page (LATEST, briefs) are held in process memory
per content version (see masthead.core.versioning), so a warm article page costs two queries:
the content token and the article itself.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC

from django.db import connection, models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from taggit.models import Tag

from masthead.core import versioning
from masthead.core.sql import prepared_cursor
from masthead.editorial.models import (
    Author,
    Kind,
    PublishedArticle,
    PublishedArticleAuthor,
    PublishedArticleSection,
    PublishedArticleTag,
    Section,
)

LATEST_COUNT = 10
RELATED_COUNT = 6
SECTION_ROW_COUNT = 4

CARD_FIELDS = (
    "page_id",
    "url",
    "headline",
    "dek",
    "kind_id",
    "section_id",
    "published_at",
    "updated_at",
    "authors",
    "card_image_html",
    "image_alt",
    "image_credit",
    "first_paragraph_html",
    "more_paragraphs_html",
)
ARTICLE_FIELDS = CARD_FIELDS + (
    "slug",
    "social_headline",
    "tags",
    "image_html",
    "image_url",
    "image_caption",
    "body_html",
    "word_count",
    "article_html",
    "head_html",
    "html_key",
)
# What a published article's page needs when its stored fragments are current: the fragments,
# and what names the page (title, cache keys, related stories). No body, image or dates: on
# PostgreSQL those are out-of-line (TOAST) reads and datetime conversions on every request.
PAGE_FIELDS = ("page_id", "url", "headline", "kind_id", "section_id", "authors", "tags",
               "article_html", "head_html", "html_key")


def _cards(qs) -> list[dict]:
    return list(qs.values(*CARD_FIELDS))


def newest(qs=None):
    return (qs if qs is not None else PublishedArticle.objects.all()).order_by(
        "-published_at", "-page_id"
    )


# --- single items


@functools.cache
def _record_sql(names: tuple, key: str) -> tuple[str, list]:
    opts = PublishedArticle._meta
    fields = [opts.get_field(n[:-3] if n.endswith("_id") else n) for n in names]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    return f"SELECT {columns} FROM {opts.db_table} WHERE {key} = %s", fields


def _record(names: tuple, key: str, value) -> dict | None:
    sql, fields = _record_sql(names, key)
    with prepared_cursor() as cursor:
        cursor.execute(sql, [value])
        row = cursor.fetchone()
    return None if row is None else _converted(names, fields, row)


def article_by_slug(slug: str) -> dict | None:
    """What an article's page needs (PAGE_FIELDS) by its slug, in one raw indexed query.

    The hottest read on the site: raw SQL skips the ORM's query compilation (a third of a warm
    article page's time). Values are converted as the ORM would (JSON, aware datetimes). When
    the stored fragments are not current, the page reads the whole record: article_record().
    """
    return _record(PAGE_FIELDS, "slug", slug)


def article_record(page_id: int) -> dict | None:
    """The whole record (ARTICLE_FIELDS) of an article, for rendering its page live."""
    return _record(ARTICLE_FIELDS, "page_id", page_id)


def _converted(names, fields, row) -> dict:
    """A raw row as the ORM's `.values()` would give it (JSON decoded, aware datetimes)."""
    return {name: value if convert is None or value is None else convert(value)
            for name, convert, value in zip(names, _converters(names, tuple(fields)), row,
                                            strict=True)}


@functools.cache
def _converters(names: tuple, fields: tuple) -> tuple:
    """Per column, how its raw value becomes what the ORM would give (None: as it is)."""
    def json_value(field):
        return lambda value: field.from_db_value(value, None, connection)

    def aware(value):
        if isinstance(value, str):
            value = parse_datetime(value)
        return timezone.make_aware(value, UTC) if timezone.is_naive(value) else value

    return tuple(json_value(f) if isinstance(f, models.JSONField)
                 else aware if isinstance(f, models.DateTimeField) else None for f in fields)


# --- lists shown on every page (cached per content version)


def latest(token: str, *, count: int = LATEST_COUNT) -> list[dict]:
    return versioning.cached(
        ("latest", count), lambda: _cards(newest()[:count]), token=token
    )


def related(token: str, article: dict, *, count: int = RELATED_COUNT,
            preview: bool = False) -> list[dict]:
    """Newest stories sharing the primary section or a tag, never the article itself.

    Each source (the section, every tag) is read newest-first from its own index, a few rows
    each, in one UNION ALL query; the newest distinct ids win. A single OR query would sort
    every matching article (130 ms at 100,000 articles); this reads at most (tags + 1) × 7 rows.
    The cards come from card_records(): those already held cost nothing, the others one query
    by primary key. A `preview` (an unsaved page's tags and section) is held apart.
    """
    page_id = article["page_id"]

    def build():
        tags = article.get("tags", [])
        tag_ids = [t["id"] for t in tags if "id" in t]
        if len(tag_ids) < len(tags):  # a preview of tags not yet saved, or an old record
            tag_ids = list(Tag.objects.filter(slug__in=[t["slug"] for t in tags])
                           .values_list("id", flat=True))
        sources = [(PublishedArticle._meta.db_table, "page_id", "section_id", article["section_id"])]
        sources += [(PublishedArticleTag._meta.db_table, "article_id", "tag_id", t)
                    for t in tag_ids]
        parts, params = [], []
        for i, (table, id_col, key_col, key) in enumerate(sources):
            # LIMIT written in: one statement text per number of tags, prepared on PostgreSQL.
            parts.append(
                f"SELECT * FROM (SELECT {id_col} AS id, published_at FROM {table} "
                f"WHERE {key_col} = %s AND {id_col} != %s "
                f"ORDER BY published_at DESC, {id_col} DESC LIMIT {int(count) + 1}) AS r{i}"
            )
            params += [key, page_id or 0]
        # The database merges the few rows and sorts them: only the winning ids come back
        # (no timestamps to convert). An article found through two sources counts once.
        sql = (f"SELECT id FROM ({' UNION ALL '.join(parts)}) AS sources GROUP BY id "
               f"ORDER BY MAX(published_at) DESC, id DESC LIMIT {int(count)}")
        with prepared_cursor() as cursor:
            cursor.execute(sql, params)
            newest_ids = [row[0] for row in cursor.fetchall()]
        return card_records(token, newest_ids)

    return versioning.cached(("related", page_id, preview), build, token=token)


def section_rows(token: str, *, per_section: int = SECTION_ROW_COUNT) -> dict[int, list[dict]]:
    """The newest few stories of every section in two queries, however many sections."""

    def build():
        sections = [s["id"] for s in site_sections(token)]
        if not sections:
            return {}
        table = PublishedArticleSection._meta.db_table
        part = (
            f"SELECT * FROM (SELECT article_id, section_id FROM {table} "
            f"WHERE section_id = %s ORDER BY published_at DESC, article_id DESC LIMIT %s) AS s{{i}}"
        )
        sql = " UNION ALL ".join(part.format(i=i) for i in range(len(sections)))
        params: list = []
        for sid in sections:
            params += [sid, per_section]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            pairs = cursor.fetchall()
        cards = {c["page_id"]: c for c in _cards(PublishedArticle.objects.filter(
            page_id__in={a for a, _ in pairs}))}
        rows: dict[int, list[dict]] = {sid: [] for sid in sections}
        for article_id, section_id in pairs:
            rows[section_id].append(cards[article_id])
        return rows

    return versioning.cached(("section_rows", per_section), build, token=token)


def pinned_card(token: str, page_id: int | None) -> dict | None:
    """The card of an editor-pinned lead story, if it is live."""
    if not page_id:
        return None
    return versioning.cached(
        ("pinned", page_id),
        lambda: next(iter(_cards(PublishedArticle.objects.filter(page_id=page_id))), None),
        token=token,
    )


def home_lead_id(token: str) -> int | None:
    from masthead.editorial.models import HomePage

    return versioning.cached(
        "home_lead",
        lambda: HomePage.objects.values_list("lead_article_id", flat=True).first(),
        token=token,
    )


# --- paginated listings: each returns (cards, has_next)


@dataclass(frozen=True)
class Page:
    items: list[dict]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


# Listings: one raw query per page. The subquery walks the listing's covering index
# (key, -published_at, -id) past the offset reading ids only, so page 500 costs about what
# page 1 does; the outer query reads just that page's cards by primary key.
_LISTINGS = {
    # name: (table holding the listing's index, its article id column, its key column)
    "archive": (PublishedArticle, "page_id", None),
    "kind": (PublishedArticle, "page_id", "kind_id"),
    "section": (PublishedArticleSection, "article_id", "section_id"),
    "tag": (PublishedArticleTag, "article_id", "tag_id"),
    "author": (PublishedArticleAuthor, "article_id", "author_id"),
}


@functools.cache
def _card_sql() -> tuple[str, list]:
    opts = PublishedArticle._meta
    fields = [opts.get_field(n[:-3] if n.endswith("_id") else n) for n in CARD_FIELDS]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    return f"SELECT {columns} FROM {opts.db_table}", fields


@functools.lru_cache(maxsize=512)
def _listing_sql(name: str, *, seek: bool, limit: int, offset: int,
                 ids_only: bool = False) -> str:
    """The listing's query: the page's cards, or with `ids_only` their ids and dates. LIMIT and
    OFFSET are written in, not bound: PostgreSQL then knows a page is small when it plans the
    prepared statement (masthead/core/sql.py) once for all pages sought from an anchor, instead
    of planning it again on every request."""
    model, id_column, key_column = _LISTINGS[name]
    where = [f"{key_column} = %s"] if key_column else []
    if seek:  # from a known first item down: no offset to walk
        where.append(f"(published_at, {id_column}) <= (%s, %s)")
    condition = f"WHERE {' AND '.join(where)} " if where else ""
    inner = (f"SELECT {id_column} FROM {model._meta.db_table} {condition}"
             f"ORDER BY published_at DESC, {id_column} DESC LIMIT {int(limit)} "
             f"OFFSET {int(offset)}")
    if ids_only:
        return inner.replace(f"SELECT {id_column} ", f"SELECT {id_column}, published_at ", 1)
    select, _ = _card_sql()
    return f"{select} WHERE page_id IN ({inner}) ORDER BY published_at DESC, page_id DESC"


def _listing(name: str, key: int | None, number: int, size: int, token: str | None) -> Page:
    """One page of a listing. A page's first item is remembered per content version, so asking
    for the same deep page again seeks to it in the index instead of walking the offset.

    With a content version, the query reads ids only (the listing's covering index, nothing
    else) and cards come from the process's per-version card records; the cards not held yet
    are read by primary key in one more query. So a listing is one query when its cards are
    held (other listings, LATEST and related stories show the same cards) and two when not,
    whatever the page size. Without a version, one query reads the cards themselves."""
    anchor_key = ("listing-anchor", name, key, number, size)
    anchor = versioning.cache.peek(token, anchor_key) if token and number > 1 else None
    params = [key] if key is not None else []
    if anchor is not None:
        params += [*anchor]
    offset = 0 if anchor is not None else (number - 1) * size
    _, fields = _card_sql()
    sql = _listing_sql(name, seek=anchor is not None, limit=size + 1, offset=offset,
                       ids_only=bool(token))
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        raw = cursor.fetchall()
    if not token:
        rows = [_converted(CARD_FIELDS, fields, row) for row in raw]
        return Page(items=rows[:size], number=number, has_next=len(rows) > size)
    if number > 1 and anchor is None and raw:
        versioning.cache.put(token, anchor_key, (raw[0][1], raw[0][0]))
    ids = [row[0] for row in raw]
    return Page(items=card_records(token, ids[:size]), number=number, has_next=len(ids) > size)


def card_records(token: str, ids: list[int]) -> list[dict]:
    """The card records of `ids`, in that order: held per content version, the others read in
    one query (an id whose article went meanwhile is left out)."""
    held = {i: versioning.cache.peek(token, ("card-record", i)) for i in ids}
    missing = [i for i, record in held.items() if record is None]
    if missing:
        select, fields = _card_sql()
        if connection.vendor == "postgresql":  # one statement text however many: prepared
            sql, params = f"{select} WHERE page_id = ANY(%s::integer[])", [missing]
        else:
            sql, params = f"{select} WHERE page_id IN ({', '.join(['%s'] * len(missing))})", missing
        with prepared_cursor() as cursor:
            cursor.execute(sql, params)
            for row in cursor.fetchall():
                record = _converted(CARD_FIELDS, fields, row)
                versioning.cache.put(token, ("card-record", record["page_id"]), record)
                held[record["page_id"]] = record
    return [held[i] for i in ids if held[i] is not None]


def archive_page(number: int, size: int, token: str | None = None) -> Page:
    return _listing("archive", None, number, size, token)


def section_page(section_id: int, number: int, size: int, *, token: str | None = None) -> Page:
    return _listing("section", section_id, number, size, token)


def kind_page(kind_id: int, number: int, size: int, *, token: str | None = None) -> Page:
    return _listing("kind", kind_id, number, size, token)


def tag_page(tag_id: int, number: int, size: int, *, token: str | None = None) -> Page:
    return _listing("tag", tag_id, number, size, token)


def author_page(author_id: int, number: int, size: int, *, token: str | None = None) -> Page:
    return _listing("author", author_id, number, size, token)


# --- taxonomy, cached per content version


def site_sections(token: str) -> list[dict]:
    return versioning.cached(
        "sections",
        lambda: list(Section.objects.values("id", "name", "slug", "description", "lead_article_id")),
        token=token,
    )


def site_kinds(token: str) -> list[dict]:
    return versioning.cached(
        "kinds", lambda: list(Kind.objects.values("id", "name", "slug", "description")), token=token
    )


def author_by_slug(slug: str) -> Author | None:
    return Author.objects.select_related("photo").prefetch_related("links").filter(
        slug=slug
    ).first()
