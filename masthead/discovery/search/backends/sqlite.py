"""Search on SQLite: two FTS5 tables over discovery_searchentry (see migration 0002).

Queries are FTS5 expressions built here from the parsed query: every phrase is written as a
double-quoted FTS5 string of words that contain no quote (query.split_words), so reader input
can never be read as FTS5 syntax. Filters are facet tokens in the same expression, and dates an
id range, so the index applies them while it reads.
"""

from __future__ import annotations

import json

from django.db import connection

from masthead.discovery.search.backends.base import (
    ENTRY_COLUMNS,
    STRONG_CAP,
    Backend,
    Filters,
    Hit,
    Plan,
    result_rows,
)
from masthead.discovery.search.documents import LEAD_CHARACTERS, MARK_END, MARK_START
from masthead.discovery.search.query import ParsedQuery

FTS = "discovery_search_fts"
HEAD = "discovery_search_head"
TABLE = "discovery_searchentry"
FULL_COLUMNS = "{headline dek body author_names tag_names}"
HEAD_COLUMNS = "{headline dek author_names tag_names}"
# bm25 weights of HEAD's columns: headline, dek, author_names, tag_names, facets.
HEAD_WEIGHTS = "10.0, 4.0, 2.0, 3.0, 0.0"
SNIPPET_TOKENS = 30
ENTRY = ", ".join(f"e.{column}" for column in ENTRY_COLUMNS)


def _phrase(words: tuple[str, ...]) -> str:
    return '"' + " ".join(w.replace('"', "") for w in words) + '"'


def _all_of(phrases, columns: str) -> str:
    return " AND ".join(f"{columns} : {_phrase(p)}" for p in phrases)


def _any_of(phrases, columns: str) -> str:
    return " OR ".join(f"{columns} : {_phrase(p)}" for p in phrases)


def expression(query: ParsedQuery, filters: Filters, *, columns: str = FULL_COLUMNS,
               negate: bool = True) -> str:
    """The FTS5 MATCH expression for `query` and `filters` (facets), over `columns`."""
    expr = f"({_all_of(query.include, columns)})"
    if negate and query.exclude:
        expr = f"({expr} NOT ({_any_of(query.exclude, columns)}))"
    facets = filters.facets()
    if facets:
        expr += " AND " + " AND ".join(f'facets : "{t}"' for t in facets)
    return expr


def _range(plan: Plan, column: str = "rowid") -> tuple[str, list]:
    sql, params = "", []
    if plan.low is not None:
        sql += f" AND {column} >= %s"
        params.append(plan.low)
    if plan.high is not None:
        sql += f" AND {column} <= %s"
        params.append(plan.high)
    return sql, params


def _between(ids: list[int]) -> tuple[str, list]:
    """SQL keeping the rows `ids` of an FTS5 table by scanning the matches in their range.

    For many ids (up to STRONG_CAP) this costs less than looking each one up: FTS5 answers
    `rowid IN (...)` one rowid at a time, re-seeking every phrase's postings each time.
    (`+rowid` makes the list a filter, not a lookup.)
    """
    sql = " AND rowid >= %s AND rowid <= %s AND +rowid IN (SELECT value FROM json_each(%s))"
    return sql, [min(ids), max(ids), json.dumps(ids)]


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class SQLiteBackend(Backend):
    def plan(self, query: ParsedQuery, filters: Filters) -> Plan:
        low, high = filters.id_range()
        terms = {
            "full": expression(query, filters),
            "head": expression(query, filters, columns=HEAD_COLUMNS, negate=False),
            "excluded": _any_of(query.exclude, FULL_COLUMNS) if query.exclude else "",
            # Highlights mark each word: rows are known matches, and looking a row up by a
            # phrase of common words costs FTS5 milliseconds, by its words microseconds.
            "highlight": " AND ".join(_phrase((w,)) for w in dict.fromkeys(query.words)),
        }
        return Plan(query=query, filters=filters, low=low, high=high, terms=terms)

    def strong(self, plan: Plan) -> list[tuple[int, float]]:
        where, params = _range(plan)
        rows = _fetch(
            f"SELECT rowid, bm25({HEAD}, {HEAD_WEIGHTS}) FROM {HEAD} "
            f"WHERE {HEAD} MATCH %s{where} ORDER BY rowid DESC LIMIT %s",
            [plan.terms["head"], *params, STRONG_CAP],
        )
        if rows and plan.terms["excluded"]:
            # The head index cannot see the body: drop candidates with an excluded word anywhere
            # (scanning the excluded words' postings between the candidates' ids).
            among, params = _between([r[0] for r in rows])
            excluded = {r[0] for r in _fetch(
                f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s{among}",
                [plan.terms["excluded"], *params],
            )}
            rows = [r for r in rows if r[0] not in excluded]
        return [(rowid, -score) for rowid, score in rows]  # bm25: lower is better

    def rest(self, plan: Plan, *, exclude: list[int], offset: int, limit: int) -> list[int]:
        where, params = _range(plan)
        if exclude:
            where += " AND rowid NOT IN (SELECT value FROM json_each(%s))"
            params.append(json.dumps(exclude))
        rows = _fetch(
            f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s{where} "
            f"ORDER BY rowid DESC LIMIT %s OFFSET %s",
            [plan.terms["full"], *params, limit, offset],
        )
        return [r[0] for r in rows]

    def count(self, plan: Plan, *, cap: int) -> int:
        where, params = _range(plan)
        rows = _fetch(
            f"SELECT count(*) FROM (SELECT 1 FROM {FTS} WHERE {FTS} MATCH %s{where} LIMIT %s)",
            [plan.terms["full"], *params, cap],
        )
        return rows[0][0]

    def rows(self, plan: Plan, hits: list[Hit]) -> list[dict]:
        strong = [h.id for h in hits if h.strong]
        other = [h.id for h in hits if not h.strong]
        marks = f"'{MARK_START}', '{MARK_END}'"
        found = []
        if strong:  # headline and dek only, from the small index
            found += _fetch(
                f"SELECT {ENTRY}, highlight({HEAD}, 0, {marks}), "
                f"highlight({HEAD}, 1, {marks}), '', substr(e.body, 1, {LEAD_CHARACTERS}) "
                f"FROM {HEAD} CROSS JOIN {TABLE} e ON e.id = {HEAD}.rowid "
                f"WHERE {HEAD} MATCH %s AND {HEAD}.rowid IN (SELECT value FROM json_each(%s))",
                [plan.terms["highlight"], json.dumps(strong)],
            )
        if other:
            found += _fetch(
                f"SELECT {ENTRY}, highlight({FTS}, 0, {marks}), "
                f"highlight({FTS}, 1, {marks}), "
                f"snippet({FTS}, 2, {marks}, '…', {SNIPPET_TOKENS}), '' "
                f"FROM {FTS} CROSS JOIN {TABLE} e ON e.id = {FTS}.rowid "
                f"WHERE {FTS} MATCH %s AND {FTS}.rowid IN (SELECT value FROM json_each(%s))",
                [plan.terms["highlight"], json.dumps(other)],
            )
        return result_rows(hits, found)

    def optimize(self) -> None:
        with connection.cursor() as cursor:
            for table in (FTS, HEAD):
                cursor.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")

