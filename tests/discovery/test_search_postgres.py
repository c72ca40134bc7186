"""PostgreSQL's bounded search plans, with windows small enough that the tests leave them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from masthead.discovery.search import query as search_query
from masthead.discovery.search import selectors
from masthead.discovery.search.backends import Filters
from tests import factories as f
from tests.discovery.test_search import headlines, search, text

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def small_windows(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's windows and phrase candidates")
    from masthead.discovery.search.backends import postgres

    monkeypatch.setattr(postgres, "WINDOW", 3)
    monkeypatch.setattr(postgres, "STRONG_WINDOW", 2)
    monkeypatch.setattr(postgres, "PHRASE_CANDIDATES", 2)
    return postgres


def test_windows_fall_back_to_the_index_in_order(live, small_windows):
    for i in range(6):
        live(f.article, f"Quota {i}", published_at=f.BASE_TIME + timedelta(hours=i))
    for i in range(6):
        live(f.article, f"Other {i}", body=text("A quota was set."),
             published_at=f.BASE_TIME + timedelta(days=5, hours=i))
        live(f.article, f"Unrelated {i}", published_at=f.BASE_TIME + timedelta(days=6, hours=i))
    query = search_query.parse("quota")
    pages = [selectors.search_page(query, Filters(), n, size=4) for n in (1, 2, 3)]
    shown = [r["headline_html"].striptags() for p in pages for r in p.items]
    assert shown == [f"Quota {i}" for i in range(5, -1, -1)] + [
        f"Other {i}" for i in range(5, -1, -1)]
    assert pages[0].total == 12 and not pages[2].has_next


def test_phrase_of_common_words_is_looked_for_among_the_newest(client, live, small_windows):
    live(f.article, "Old story", body=text("The trade war began."), published_at=f.BASE_TIME)
    for i in range(3):
        live(f.article, f"New {i}", body=text("War and trade, apart."),
             published_at=f.BASE_TIME + timedelta(days=1 + i))
    html = search(client, '"trade war"')[1]
    assert headlines(html) == [] and "Nothing found" in html  # only the newest 2 were checked
    html = search(client, '"trade war"', to="2026-11-01")[1]
    assert headlines(html) == ["Old story"]
    live(f.article, "Newest", body=text("Another trade war."), published_at=f.BASE_TIME + timedelta(9))
    html = search(client, '"trade war"')[1]
    assert headlines(html) == ["Newest"]
    assert "the phrase was looked for in the newest stories" in html
