"""What every search backend does, and the ranking they share.

Order of results, the same on every database:

1. Strong matches: every word and phrase of the query is in the headline, dek, byline or tags.
   The newest STRONG_CAP of them are ranked by relevance (headline above dek above tags and
   byline; BM25 on SQLite, ts_rank on PostgreSQL), best first.
2. Every other match, newest first (words found only in the body, or spread across fields, and
   strong matches older than the ranked ones).

Why not rank every match: at 100,000 articles a common word matches most of them, and scoring
all of them costs 130 ms (FTS5 bm25) or seconds (ts_rank over toasted tsvectors). The short
fields' index is small, so ranking their newest matches costs a millisecond or two, and newest
first is the natural order for the rest of a magazine's results.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import NamedTuple

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from masthead.discovery.search import documents
from masthead.discovery.search.query import ParsedQuery

STRONG_CAP = 200
# The SearchEntry columns a backend's rows() query selects first, in this order, followed by the
# marked headline, marked dek, marked snippet and lead: the tuple result_rows() reads.
ENTRY_COLUMNS = ("id", "item_type", "item_id", "url", "byline", "section_id", "kind_id",
                 "published_at")


@dataclass(frozen=True)
class Filters:
    section_id: int | None = None
    kind: int | str | None = None  # a Kind's id, or "brief"
    author_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    def facets(self) -> list[str]:
        """Filter tokens, as documents.article_document/brief_document write them."""
        tokens = []
        if self.section_id:
            tokens.append(f"section{int(self.section_id)}")
        if self.kind == "brief":
            tokens.append("typebrief")
        elif self.kind:
            tokens.append(f"kind{int(self.kind)}")
        if self.author_id:
            tokens.append(f"author{int(self.author_id)}")
        return tokens

    def id_range(self) -> tuple[int | None, int | None]:
        return documents.id_range(self.date_from, self.date_to)


class Hit(NamedTuple):
    id: int
    strong: bool


class Ranking(NamedTuple):
    hits: list[Hit]
    total: int  # counted no further than the cap asked for
    partial: bool = False  # only the newest candidates were looked at (see postgres.py)


@dataclass(frozen=True)
class Plan:
    """A query and filters translated into one backend's terms, ready to run."""

    query: ParsedQuery
    filters: Filters
    low: int | None
    high: int | None
    terms: dict = field(default_factory=dict)


class Backend(abc.ABC):
    """Reads go through a Plan; writes need nothing: the database indexes SearchEntry itself."""

    @abc.abstractmethod
    def plan(self, query: ParsedQuery, filters: Filters) -> Plan | None:
        """None when nothing in the query can match (e.g. only stop words on PostgreSQL)."""
        ...

    @abc.abstractmethod
    def strong(self, plan: Plan) -> list[tuple[int, float]]:
        """(id, score) of the newest STRONG_CAP strong matches; a higher score is better."""
        ...

    @abc.abstractmethod
    def rest(self, plan: Plan, *, exclude: list[int], offset: int, limit: int) -> list[int]:
        """Ids of all matches but `exclude`, newest first."""
        ...

    @abc.abstractmethod
    def count(self, plan: Plan, *, cap: int) -> int:
        """How many entries match, counting no further than `cap`."""
        ...

    @abc.abstractmethod
    def rows(self, plan: Plan, hits: list[Hit]) -> list[dict]:
        """Display fields of the entries hit, in that order, with `headline_marked`,
        `dek_marked` and `snippet_marked` (plain text with MARK_START/MARK_END around the
        words found) and `lead` (the start of the body).

        Only other matches get a body snippet: a strong match's words are in its short fields,
        so its dek (or the start of its body) makes the summary, and its postings in the body
        index are never read: the costliest part of highlighting at 100,000 articles."""
        ...

    def ranked(self, plan: Plan, *, start: int, count: int, cap: int) -> Ranking:
        """The hits at positions [start, start + count) of the result order (see module doc),
        and how many entries match, counted no further than `cap`."""
        strong_ids = self.strong_order(plan)
        hits = [Hit(i, True) for i in strong_ids[start : start + count]]
        if len(hits) == count:
            return Ranking(hits, self.count(plan, cap=cap))
        offset, limit = max(0, start - len(strong_ids)), count - len(hits)
        rest = self.rest(plan, exclude=strong_ids, offset=offset, limit=limit)
        hits += [Hit(i, False) for i in rest]
        if len(rest) < limit and (rest or not offset):
            # The other matches ran out on this page: the total is known without counting.
            return Ranking(hits, min(cap, len(strong_ids) + offset + len(rest)))
        return Ranking(hits, self.count(plan, cap=cap))

    def strong_order(self, plan: Plan) -> list[int]:
        """Ids of the ranked strong matches, best first (newest first among equals)."""
        return [i for i, _ in sorted(self.strong(plan), key=lambda r: (-r[1], -r[0]))]

    def optimize(self) -> None:  # noqa: B027 - optional: a backend with nothing to do skips it
        """After a bulk rebuild: merge segments, refresh statistics."""


class NoBackend(Backend):
    """Databases without a text index here: search finds nothing rather than failing."""

    def plan(self, query, filters):
        return None


def result_rows(hits: list[Hit], fetched: Iterable[tuple]) -> list[dict]:
    """Backend.rows()'s answer: the rows `fetched` (ENTRY_COLUMNS, then the marked headline,
    dek and snippet and the lead), as display fields in the order of `hits`. A hit with no
    row fetched (an entry removed since it was ranked) is left out."""
    by_id = {row[0]: _result_row(row) for row in fetched}
    return [by_id[h.id] for h in hits if h.id in by_id]


def _result_row(row: tuple) -> dict:
    (id_, item_type, item_id, url, byline, section_id, kind_id, published_at,
     headline, dek, snippet, lead) = row
    # SQLite hands back the JSON byline and the timestamp as text (a naive one, in UTC);
    # PostgreSQL a list and an aware datetime.
    if isinstance(published_at, str):
        published_at = parse_datetime(published_at)
    if published_at is not None and timezone.is_naive(published_at):
        published_at = timezone.make_aware(published_at, UTC)
    return {
        "id": id_,
        "item_type": item_type,
        "item_id": item_id,
        "url": url,
        "byline": json.loads(byline) if isinstance(byline, str) else byline or [],
        "section_id": section_id,
        "kind_id": kind_id,
        "published_at": published_at,
        "headline_marked": headline or "",
        "dek_marked": dek or "",
        "snippet_marked": snippet or "",
        "lead": lead or "",
    }
