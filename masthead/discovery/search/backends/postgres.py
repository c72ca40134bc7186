"""Search on PostgreSQL: stored tsvector columns with GIN indexes (see migration 0002).

`document` holds every field (weights A headline, B dek, C byline and tags, D body);
`head_vector` only the short fields, for ranking strong matches; `facet_vector` the filter tokens.

The reader's words never become tsquery syntax: each word goes to plainto_tsquery and each phrase
to phraseto_tsquery as a bound parameter ('english' configuration: stemming, stop words), and
the pieces are combined with the && and !! operators. The combined query is normalised once per
search and passed back as PostgreSQL's own tsquery text.

Bounded work, measured at 100,000 articles (docs/search.md). Checking `document @@ query` on a
row costs 5-15 µs (the tsvector is compressed out of line); the GIN index answers words and
exclusions exactly without reading rows, but cannot order by date or check a phrase. So:

- counts and strong matches use the GIN indexes only (bitmap scans, forced: with LIMIT the
  planner otherwise picks a scan that reads every row when matches turn out rare);
- other matches are first looked for among the newest WINDOW entries, read by id, and only if
  they are too few there through the GIN index;
- a phrase is checked exactly when at most PHRASE_CANDIDATES entries hold all its words, and
  otherwise among the newest PHRASE_CANDIDATES of them only (the page says so).
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, transaction

from masthead.discovery.search.backends.base import (
    ENTRY_COLUMNS,
    STRONG_CAP,
    Backend,
    Filters,
    Hit,
    Plan,
    Ranking,
    result_rows,
)
from masthead.discovery.search.documents import LEAD_CHARACTERS, MARK_END, MARK_START
from masthead.discovery.search.query import ParsedQuery

TABLE = "discovery_searchentry"
RANK_WEIGHTS = "{0.1, 0.3, 0.4, 1.0}"  # D body, C byline and tags, B dek, A headline
WINDOW = 400  # newest entries read by id before the index is asked, for other matches
STRONG_WINDOW = 6000  # the same for strong matches (head_vector is small and stored inline)
PHRASE_CANDIDATES = 500
_SELECTION = f'StartSel="{MARK_START}", StopSel="{MARK_END}"'
WHOLE_FIELD = f"HighlightAll=true, {_SELECTION}"
SNIPPET = f'MaxFragments=2, MaxWords=18, MinWords=8, FragmentDelimiter=" … ", {_SELECTION}'
# Planner settings for "use the GIN index" and "walk the primary key".
INDEX_ONLY = {"enable_seqscan": "off", "enable_indexscan": "off"}
BY_ID = {"enable_seqscan": "off", "enable_bitmapscan": "off"}
ENTRY = ", ".join(ENTRY_COLUMNS)


def _tsquery(phrases) -> tuple[list[str], list[str]]:
    sql, params = [], []
    for phrase in phrases:
        function = "plainto_tsquery" if len(phrase) == 1 else "phraseto_tsquery"
        sql.append(f"{function}('english', %s)")
        params.append(" ".join(phrase))
    return sql, params


def _fetch(sql: str, params: list, planner: dict | None = None) -> list[tuple]:
    with _planner(planner or {}) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@contextmanager
def _planner(settings: dict):
    """A cursor with planner settings changed for one statement.

    SET LOCAL lasts until the transaction ends: at once when this opens it, at the end of the
    caller's transaction otherwise, so then the settings are reset here.
    """
    if not settings:
        with connection.cursor() as cursor:
            yield cursor
        return
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("; ".join(f"SET LOCAL {name} = {value}" for name, value in settings.items()))
        yield cursor
        if nested:
            cursor.execute("; ".join(f"RESET {name}" for name in settings))


def _filters(plan: Plan) -> tuple[str, list]:
    """Facets and the date range, as SQL conditions."""
    sql, params = "", []
    if plan.terms["facets"]:
        sql += " AND facet_vector @@ %s::tsquery"
        params.append(plan.terms["facets"])
    if plan.low is not None:
        sql += " AND id >= %s"
        params.append(plan.low)
    if plan.high is not None:
        sql += " AND id <= %s"
        params.append(plan.high)
    return sql, params


class PostgresBackend(Backend):
    def plan(self, query: ParsedQuery, filters: Filters) -> Plan | None:
        include_sql, params = _tsquery(query.include)
        exclude_sql, exclude_params = _tsquery(query.exclude)
        words_sql, words_params = _tsquery([(w,) for w in dict.fromkeys(query.words)])
        include = " && ".join(include_sql)
        exclude = " || ".join(exclude_sql) or "''::tsquery"
        (positive, negative, full, words), = _fetch(
            f"SELECT ({include})::text, ({exclude})::text, "
            f"(({include}) && !!({exclude}))::text, ({' && '.join(words_sql)})::text",
            [*params, *exclude_params, *params, *exclude_params, *words_params],
        )
        if not positive:  # only stop words
            return None
        terms = {
            "positive": positive,
            "negative": negative,
            "full": full if negative else positive,
            # A phrase (kept or excluded) needs each row's positions: see _phrase_matches.
            "phrase": any(len(p) > 1 for p in (*query.include, *query.exclude)),
            "words": words,  # every word wanted, in any order: what the GIN index can answer
            "facets": " & ".join(f"'{t}'" for t in filters.facets()),
        }
        low, high = filters.id_range()
        return Plan(query=query, filters=filters, low=low, high=high, terms=terms)

    def strong(self, plan: Plan) -> list[tuple[int, float]]:
        rows = self._newest(
            plan,
            columns=f"id, ts_rank('{RANK_WEIGHTS}', head_vector, %s::tsquery)",
            columns_params=[plan.terms["positive"]],
            vector="head_vector",
            condition="head_vector @@ %s::tsquery",
            condition_params=[plan.terms["positive"]],
            window=STRONG_WINDOW,
            limit=STRONG_CAP,
        )
        if rows and plan.terms["negative"]:
            # The head index cannot see the body: drop candidates with an excluded word anywhere.
            excluded = {r[0] for r in _fetch(
                f"SELECT id FROM {TABLE} WHERE id = ANY(%s) AND document @@ %s::tsquery",
                [[r[0] for r in rows], plan.terms["negative"]],
            )}
            rows = [r for r in rows if r[0] not in excluded]
        return rows

    def _newest(self, plan: Plan, *, columns: str, columns_params: list, vector: str,
                condition: str, condition_params: list, window: int, limit: int,
                offset: int = 0) -> list:
        """Rows `columns` of the newest matches of `condition` (on `vector`, and the filters),
        from `offset` to `offset + limit`: first among the newest `window` entries read by id
        (no index, no sort: cheap while matches are common there; the read stops as soon as
        enough are found), then through the GIN indexes for older ones."""
        where, params = _filters(plan)
        wanted = offset + limit
        found = _fetch(
            f"SELECT {columns} FROM (SELECT id, {vector}, facet_vector FROM {TABLE} "
            f"WHERE true{_range(plan)} ORDER BY id DESC LIMIT %s) AS w "
            f"WHERE {condition}{where} ORDER BY id DESC LIMIT %s",
            [*columns_params, *_range_params(plan), window, *condition_params, *params, wanted],
        )
        if len(found) >= wanted:
            return found[offset:wanted]
        (seen, low), = _fetch(
            f"SELECT count(*), min(id) FROM (SELECT id FROM {TABLE} WHERE true{_range(plan)} "
            f"ORDER BY id DESC LIMIT %s) AS w", [*_range_params(plan), window])
        if seen < window:  # the window held every entry: nothing older
            return found[offset:wanted]
        skip = max(0, offset - len(found))  # older matches before the wanted ones
        older = _fetch(
            f"SELECT {columns} FROM {TABLE} WHERE {condition}{where} AND id < %s "
            f"ORDER BY id DESC LIMIT %s OFFSET %s",
            [*columns_params, *condition_params, *params, low, wanted - len(found) - skip,
             skip],
            INDEX_ONLY,
        )
        return (found[offset:] + older)[:limit]

    def ranked(self, plan: Plan, *, start: int, count: int, cap: int) -> Ranking:
        if not plan.terms["phrase"]:
            return super().ranked(plan, start=start, count=count, cap=cap)
        # A phrase: its matches (at most PHRASE_CANDIDATES) are listed once, then paged here.
        strong_ids = self.strong_order(plan)
        matches, partial = self._phrase_matches(plan)
        taken = set(strong_ids)
        rest = [i for i in matches if i not in taken]
        hits = [Hit(i, True) for i in strong_ids[start : start + count]]
        offset = max(0, start - len(strong_ids))
        hits += [Hit(i, False) for i in rest[offset : offset + count - len(hits)]]
        return Ranking(hits, min(cap, len(strong_ids) + len(rest)), partial)

    def _phrase_matches(self, plan: Plan) -> tuple[list[int], bool]:
        """Ids of the phrase query's matches, newest first, and whether only the newest
        PHRASE_CANDIDATES entries holding all its words were checked (the GIN index finds the
        rows with the words; the phrase needs each row's positions, 5-15 µs a row)."""
        where, params = _filters(plan)
        holding = f"document @@ %s::tsquery{where}"
        params = [plan.terms["words"], *params]
        (candidates,), = _fetch(
            f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} WHERE {holding} LIMIT %s) AS c",
            [*params, PHRASE_CANDIDATES + 1],
            INDEX_ONLY,
        )
        if candidates <= PHRASE_CANDIDATES:
            rows = _fetch(
                f"SELECT id FROM {TABLE} WHERE {holding} AND document @@ %s::tsquery "
                f"ORDER BY id DESC",
                [*params, plan.terms["full"]],
                INDEX_ONLY,
            )
            return [r[0] for r in rows], False
        rows = _fetch(
            f"SELECT id FROM (SELECT id, document FROM {TABLE} WHERE {holding} "
            f"ORDER BY id DESC LIMIT %s) AS c WHERE document @@ %s::tsquery ORDER BY id DESC",
            [*params, PHRASE_CANDIDATES, plan.terms["full"]],
            BY_ID,
        )
        return [r[0] for r in rows], True

    def rest(self, plan: Plan, *, exclude: list[int], offset: int, limit: int) -> list[int]:
        rows = self._newest(
            plan,
            columns="id",
            columns_params=[],
            vector="document",
            condition="document @@ %s::tsquery AND id <> ALL(%s)",
            condition_params=[plan.terms["full"], exclude],
            window=WINDOW,
            limit=limit,
            offset=offset,
        )
        return [r[0] for r in rows]

    def count(self, plan: Plan, *, cap: int) -> int:
        where, params = _filters(plan)
        rows = _fetch(
            f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} WHERE document @@ %s::tsquery{where} "
            f"LIMIT %s) AS matches",
            [plan.terms["full"], *params, cap],
            INDEX_ONLY,
        )
        return rows[0][0]

    def rows(self, plan: Plan, hits: list[Hit]) -> list[dict]:
        if not hits:
            return []
        found = _fetch(
            f"SELECT {ENTRY}, "
            "ts_headline('english', headline, q, %s), ts_headline('english', dek, q, %s), "
            "CASE WHEN id = ANY(%s) THEN ts_headline('english', body, q, %s) ELSE '' END, "
            f"left(body, {LEAD_CHARACTERS}) FROM {TABLE}, CAST(%s AS tsquery) AS q "
            "WHERE id = ANY(%s)",
            [WHOLE_FIELD, WHOLE_FIELD, [h.id for h in hits if not h.strong], SNIPPET,
             plan.terms["positive"], [h.id for h in hits]],
        )
        return result_rows(hits, found)

    def optimize(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {TABLE}")


def _range(plan: Plan) -> str:
    return "".join(
        sql for sql, bound in ((" AND id >= %s", plan.low), (" AND id <= %s", plan.high))
        if bound is not None
    )


def _range_params(plan: Plan) -> list:
    return [bound for bound in (plan.low, plan.high) if bound is not None]

