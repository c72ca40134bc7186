"""What the index holds for an article or a brief, built from what readers already see.

Articles are indexed from their PublishedArticle record (rendered at publish), briefs from the
live Brief. A document is a plain dict of SearchEntry fields, without the id: the id is chosen
when the entry is written (see `id_range`).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from datetime import date, datetime, time, timedelta

from django.utils import timezone

# Highlight markers used inside the database (private-use characters, removed from all indexed
# text), turned into <mark> only after the text around them has been HTML-escaped.
MARK_START = "\ue000"
MARK_END = "\ue001"

ID_SLOTS = 1024  # entries that can share one published second
LEAD_CHARACTERS = 240  # the start of the body, shown when there is no better summary

_SKIPPED_ELEMENTS = re.compile(r"<(script|style|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
# Tags inside a word leave nothing behind; every other tag separates words.
_INLINE_TAG = re.compile(
    r"</?(?:a|abbr|b|bdi|bdo|cite|code|data|dfn|em|i|kbd|mark|q|s|samp|small|span|strong|time|"
    r"u|var)\b[^>]*>",
    re.IGNORECASE,
)
_ANY_TAG = re.compile(r"<[^>]*>")
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000\ue001]")


def plain(text: str | None) -> str:
    """`text` safe to index: no NUL or control characters, no highlight markers, one-spaced."""
    return " ".join(_UNSAFE.sub(" ", text or "").split())


def html_to_text(markup: str | None) -> str:
    """The words of a fragment of our own rendered HTML, entities decoded."""
    if not markup:
        return ""
    text = _SKIPPED_ELEMENTS.sub(" ", markup)
    text = _INLINE_TAG.sub("", text)
    text = _ANY_TAG.sub(" ", text)
    return plain(html.unescape(text))


def article_document(record: dict, section_ids: list[int]) -> dict:
    """The entry of a live article, from its record's fields and every section it is in."""
    authors = record.get("authors") or []
    tags = record.get("tags") or []
    sections = dict.fromkeys([record["section_id"], *section_ids])
    facets = ["typearticle", f"kind{record['kind_id']}"]
    facets += [f"section{s}" for s in sections]
    facets += [f"author{a['id']}" for a in authors if a.get("id")]
    return _with_digest({
        "item_type": "article",
        "item_id": record["page_id"],
        "url": record["url"],
        "headline": plain(record["headline"]),
        "dek": plain(record["dek"]),
        "body": html_to_text(record["body_html"]),
        "author_names": plain(", ".join(a["name"] for a in authors)),
        "tag_names": plain(", ".join(t["name"] for t in tags)),
        "facets": " ".join(facets),
        "byline": [{"name": a["name"], "url": a.get("url", "")} for a in authors],
        "section_id": record["section_id"],
        "kind_id": record["kind_id"],
        "published_at": record["published_at"],
    })


def brief_document(brief: dict, tag_names: list[str]) -> dict:
    """The entry of a live brief (fields of Brief, as `.values()` gives them)."""
    return _with_digest({
        "item_type": "brief",
        "item_id": brief["id"],
        "url": f"/briefs/#brief-{brief['id']}",
        "headline": plain(brief["headline"]),
        "dek": "",
        "body": html_to_text(brief["body"]),
        "author_names": "",
        "tag_names": plain(", ".join(tag_names)),
        "facets": f"typebrief section{brief['section_id']}",
        "byline": [],
        "section_id": brief["section_id"],
        "kind_id": None,
        "published_at": brief["first_published_at"] or timezone.now(),
    })


def _with_digest(doc: dict) -> dict:
    payload = json.dumps(doc, sort_keys=True, default=str).encode()
    doc["digest"] = hashlib.blake2b(payload, digest_size=16).hexdigest()
    return doc


# --- entry ids: newest first is the index's own order, and a date range is an id range


def id_base(moment: datetime) -> int:
    """The first id of the slots for `moment`'s second."""
    return int(moment.timestamp()) * ID_SLOTS


def id_range(date_from: date | None, date_to: date | None) -> tuple[int | None, int | None]:
    """Ids of entries published from the start of `date_from` to the end of `date_to`
    (local dates in the site's time zone); None where the range is open."""
    low = None if date_from is None else id_base(_local_midnight(date_from))
    high = None if date_to is None else id_base(_local_midnight(date_to + timedelta(days=1))) - 1
    return low, high


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
