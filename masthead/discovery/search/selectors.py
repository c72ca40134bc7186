"""Reads for the search page: one page of results, and the choices of the filter form."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils.html import escape
from markupsafe import Markup

from masthead.core import versioning
from masthead.discovery.search.backends import Filters, backend
from masthead.discovery.search.documents import LEAD_CHARACTERS, MARK_END, MARK_START
from masthead.discovery.search.query import ParsedQuery
from masthead.editorial.models import Author, PublishedArticleAuthor

PAGE_SIZE = 10
MAX_PAGE = 100
COUNT_CAP = 1000  # "more than 1,000 results": counting further costs time and tells nobody much


@dataclass(frozen=True)
class SearchPage:
    items: list[dict]
    number: int
    has_next: bool
    total: int  # at most COUNT_CAP
    more: bool  # more than COUNT_CAP matches
    partial: bool = False  # a phrase looked for among the newest candidates only

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start(self) -> int:
        """The position of the first item, counting from 1."""
        return (self.number - 1) * PAGE_SIZE + 1


def search_page(query: ParsedQuery, filters: Filters, number: int, *,
                size: int = PAGE_SIZE) -> SearchPage:
    """Results `number` (from 1) of `query` with `filters`: ranked, highlighted, counted.

    Highlights are computed for the shown rows only. A handful of queries, none per result.
    """
    search = backend()
    plan = search.plan(query, filters) if query.ok else None
    if plan is None:
        return SearchPage(items=[], number=number, has_next=False, total=0, more=False)
    start = (number - 1) * size
    ranking = search.ranked(plan, start=start, count=size + 1, cap=COUNT_CAP + 1)
    items = [_result(row) for row in search.rows(plan, ranking.hits[:size])]
    return SearchPage(
        items=items,
        number=number,
        has_next=len(ranking.hits) > size and number < MAX_PAGE,
        total=min(ranking.total, COUNT_CAP),
        more=ranking.total > COUNT_CAP,
        partial=ranking.partial,
    )


def marked_html(text: str) -> Markup:
    """`text` HTML-escaped, with the backend's hit markers turned into <mark> elements."""
    html = str(escape(text)).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    return Markup(html)


def _result(row: dict) -> dict:
    # The body's best passage if it has a hit; else the dek; else the start of the body.
    snippet, dek = row["snippet_marked"], row["dek_marked"]
    if MARK_START in snippet or not (dek or row["lead"]):
        summary = snippet
    else:
        summary = dek or _shortened(row["lead"])
    return {
        **row,
        "headline_html": marked_html(row["headline_marked"]),
        "summary_html": marked_html(summary),
    }


def _shortened(text: str, length: int = LEAD_CHARACTERS - 40) -> str:
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0] + " …"


def filter_authors(token: str) -> list[dict]:
    """Authors with at least one live article, by name, for the author filter."""
    def build():
        published = PublishedArticleAuthor.objects.filter(author_id=OuterRef("pk"))
        return list(Author.objects.filter(Exists(published)).order_by("name", "pk")
                    .values("id", "name", "slug"))

    return versioning.cached("search_authors", build, token=token)
