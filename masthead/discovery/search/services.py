"""Writes to the search index: one SearchEntry per live article or brief.

Only SearchEntry rows are written here; the database updates its text index itself (FTS5
triggers on SQLite, generated tsvector columns on PostgreSQL). Every function is safe to run
twice: an item whose document is unchanged (same digest) is not rewritten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q

from masthead.briefs.models import Brief, BriefTag
from masthead.discovery.models import SearchEntry
from masthead.discovery.search import documents
from masthead.discovery.search.backends import backend
from masthead.edge import keys as cache_keys
from masthead.edge.services import invalidate
from masthead.editorial.models import ArticlePage, PublishedArticle

ARTICLE = SearchEntry.ItemType.ARTICLE
BRIEF = SearchEntry.ItemType.BRIEF
RECORD_FIELDS = ("page_id", "url", "headline", "dek", "body_html", "authors", "tags",
                 "section_id", "kind_id", "published_at")
BRIEF_FIELDS = ("id", "headline", "body", "section_id", "first_published_at")
WRITE_ATTEMPTS = 3


def entry_index_article(*, page_id: int) -> bool:
    """Index a live article from its record, or remove it if it has none. True if written."""
    record = PublishedArticle.objects.filter(page_id=page_id).values(*RECORD_FIELDS).first()
    if record is None:
        entry_remove(item_type=ARTICLE, item_id=page_id)
        return False
    return _written(entries_write(article_documents([record])))


def entry_index_brief(*, brief_id: int) -> bool:
    """Index a live brief, or remove it if it is not live. True if written."""
    brief = Brief.objects.live().filter(pk=brief_id).values(*BRIEF_FIELDS).first()
    if brief is None:
        entry_remove(item_type=BRIEF, item_id=brief_id)
        return False
    return _written(entries_write(brief_documents([brief])))


def entry_remove(*, item_type: str, item_id: int) -> None:
    """Take an item out of search results (in the caller's transaction)."""
    deleted, _ = SearchEntry.objects.filter(item_type=item_type, item_id=item_id).delete()
    _written(deleted)


def _written(count: int) -> bool:
    """Search result pages are cached like any page: the index changed, so they go."""
    if count:
        invalidate([cache_keys.SEARCH])
    return count > 0


def article_documents(records: list[dict]) -> list[dict]:
    """Documents of PublishedArticle rows (`.values(*RECORD_FIELDS)`), in one extra query."""
    through = ArticlePage.other_sections.through
    others: dict[int, list[int]] = {}
    pairs = through.objects.filter(articlepage_id__in=[r["page_id"] for r in records])
    for page_id, section_id in pairs.values_list("articlepage_id", "section_id"):
        others.setdefault(page_id, []).append(section_id)
    return [documents.article_document(r, others.get(r["page_id"], [])) for r in records]


def brief_documents(briefs: list[dict]) -> list[dict]:
    tags: dict[int, list[str]] = {}
    rows = BriefTag.objects.filter(content_object_id__in=[b["id"] for b in briefs])
    for brief_id, name in rows.order_by("pk").values_list("content_object_id", "tag__name"):
        tags.setdefault(brief_id, []).append(name)
    return [documents.brief_document(b, tags.get(b["id"], [])) for b in briefs]


def entries_write(docs: list[dict], *, taken: set[int] | None = None,
                  force: bool = False) -> int:
    """Bring the entries of `docs` up to date; returns how many were (re)written.

    `taken` is the set of ids in use, when the caller keeps it (a rebuild); otherwise the ids
    near each document's time are read. PostgreSQL writers can race for an id or an item:
    the loser retries with fresh state.
    """
    for attempt in range(WRITE_ATTEMPTS):
        try:
            with transaction.atomic():
                return _write(docs, taken=taken, force=force)
        except IntegrityError:
            if attempt == WRITE_ATTEMPTS - 1:
                raise
            taken = None
    return 0


def _key(doc: dict) -> tuple[str, int]:
    return doc["item_type"], doc["item_id"]


def _write(docs: list[dict], *, taken: set[int] | None, force: bool) -> int:
    existing = {
        (t, i): (pk, digest)
        for pk, t, i, digest in SearchEntry.objects.filter(
            item_id__in={d["item_id"] for d in docs}
        ).values_list("pk", "item_type", "item_id", "digest")
    }
    changed = [d for d in docs if force or existing.get(_key(d), (0, ""))[1] != d["digest"]]
    if not changed:
        return 0
    stale = [existing[_key(d)][0] for d in changed if _key(d) in existing]
    SearchEntry.objects.filter(pk__in=stale).delete()
    if taken is None:
        taken = _ids_near(changed)
    else:
        taken.difference_update(stale)
    entries = []
    for doc in changed:
        entry_id = _free_id(documents.id_base(doc["published_at"]), taken)
        taken.add(entry_id)
        entries.append(SearchEntry(id=entry_id, **doc))
    SearchEntry.objects.bulk_create(entries)
    return len(entries)


def _ids_near(docs: list[dict]) -> set[int]:
    """Ids already used in the published seconds of `docs` (for many, their whole span)."""
    bases = {documents.id_base(d["published_at"]) for d in docs}
    if len(bases) > 20:
        ranges = Q(pk__gte=min(bases), pk__lt=max(bases) + documents.ID_SLOTS)
    else:
        ranges = Q()
        for base in bases:
            ranges |= Q(pk__gte=base, pk__lt=base + documents.ID_SLOTS)
    return set(SearchEntry.objects.filter(ranges).values_list("pk", flat=True))


def _free_id(base: int, taken: set[int]) -> int:
    for entry_id in range(base, base + documents.ID_SLOTS):
        if entry_id not in taken:
            return entry_id
    raise RuntimeError(f"more than {documents.ID_SLOTS} items published in one second")


# --- rebuilding everything


@dataclass
class RebuildReport:
    items: int = 0
    written: int = 0
    removed: int = 0


def live_count() -> int:
    return PublishedArticle.objects.count() + Brief.objects.live().count()


def index_rebuild(*, batch_size: int = 1000, force: bool = False,
                  progress: Callable[[int], None] | None = None) -> RebuildReport:
    """Index every live article and brief, batch by batch, each batch its own transaction.

    Readers keep seeing complete results throughout (old or new entry of each item); entries
    of items no longer live are removed at the end. Unchanged items are skipped unless `force`.
    """
    report = RebuildReport()
    taken = set(SearchEntry.objects.values_list("pk", flat=True))
    seen: set[tuple[str, int]] = set()
    for docs in _batches(batch_size):
        report.written += entries_write(docs, taken=taken, force=force)
        report.items += len(docs)
        seen.update(_key(d) for d in docs)
        if progress:
            progress(len(docs))
    gone = [pk for pk, t, i in SearchEntry.objects.values_list("pk", "item_type", "item_id")
            if (t, i) not in seen]
    for start in range(0, len(gone), batch_size):
        SearchEntry.objects.filter(pk__in=gone[start : start + batch_size]).delete()
    report.removed = len(gone)
    backend().optimize()
    _written(report.written + report.removed)
    return report


def _batches(size: int) -> Iterator[list[dict]]:
    """Live items in batches. Articles oldest first: their entries are then stored in id order,
    so reading the newest entries by id touches few table pages (PostgreSQL's heap keeps
    insertion order). Briefs are few; their order does not matter."""
    records = PublishedArticle.objects.order_by("published_at", "page_id").values(*RECORD_FIELDS)
    batch = list(records[:size])
    while batch:
        yield article_documents(batch)
        last = batch[-1]
        batch = list(records.filter(
            Q(published_at__gt=last["published_at"])
            | Q(published_at=last["published_at"], page_id__gt=last["page_id"])
        )[:size])
    briefs = Brief.objects.live().order_by("pk").values(*BRIEF_FIELDS)
    last_id = 0
    while batch := list(briefs.filter(pk__gt=last_id)[:size]):
        yield brief_documents(batch)
        last_id = batch[-1]["id"]
