"""Reader search with hostile and odd input: always a normal page, never an error."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from masthead.discovery.search import query as search_query
from masthead.discovery.search import selectors
from masthead.discovery.search.backends import Filters
from masthead.discovery.search.documents import MARK_END, MARK_START
from tests import factories as f
from tests.discovery.test_search import search
from tests.sharedrows import made_live, shared_rows

# postgres only where the input reaches a backend (TestHostileQueries): what is decided before any
# search runs (empty or overlong input, the parser) and the escaping of marks are the same on both.
pytestmark = pytest.mark.django_db


NASTY = [
    '"*:^()', "NEAR(", "NEAR(a b, 2)", "AND OR NOT", "OR", "NOT war", '"', '""', 'a"b', '"open',
    "-", "--", '-"', "- -x", "\x00", "war\x00peace", "\x01\x02\x1f", "\u202e\u200b", "\ue000x\ue001",
    "ünïcødé 東京 🚀", "Ａｒｃｔｉｃ", "½", "c++", "$100", "%", "%s %(x)s", "\\", "'; DROP TABLE x; --",
    "headline: war", "{headline dek}: war", "^war", "war*", "*", "a" * 200, "x " * 100,
    "<script>alert(1)</script>", "col:term AND -(x OR y)", "@@ !! && || <->",
    "'quoted' & !negated | (grouped)", "war:A", ":*", "NEAR/2", "one + two",
]


# postgres: each backend turns the words into its own query syntax (FTS5 MATCH, tsquery).
@pytest.mark.postgres
class TestHostileQueries:
    """One indexed article, made once: the searches only read it."""

    @pytest.fixture(scope="class")
    @classmethod
    def arctic(cls, django_db_setup, django_db_blocker, tmp_path_factory):
        with shared_rows(django_db_blocker, tmp_path_factory):
            made_live(f.article, "War and peace in the Arctic")
            yield

    @pytest.mark.parametrize("q", NASTY)
    def test_hostile_queries_render_a_normal_page(self, client, arctic, q):
        response = client.get("/search/", {"q": q, "page": "1"})
        assert response.status_code == 200
        assert "<script>alert" not in response.content.decode()

    @pytest.mark.parametrize("q", [*NASTY, "\ud800 lone surrogate"])
    def test_hostile_queries_reach_the_backend_safely(self, arctic, q):
        parsed = search_query.parse(q)
        page = selectors.search_page(parsed, Filters(section_id=1, author_id=2), 1)
        assert page.items == [] or parsed.ok


def indexed_sql(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "discovery_search" in q["sql"]]


def test_marked_html_escapes_all_but_the_marks():
    marked = selectors.marked_html(f"<i>a</i> & {MARK_START}b{MARK_END} \"c\"")
    assert marked == '&lt;i&gt;a&lt;/i&gt; &amp; <mark>b</mark> &quot;c&quot;'


@pytest.mark.parametrize("q, message", [
    ("", "Type what you are looking for"),
    ("   ", "Type what you are looking for"),
    ("x" * 201, "That search is too long (201 characters)"),
    ("!!! ... ???", "There is nothing to look for"),
    ("-war", "not only words to leave out"),
])
def test_no_search_is_run_for_empty_or_overlong_queries(client, q, message):
    with CaptureQueriesContext(connection) as ctx:
        response, html = search(client, q)
    assert message in html
    assert indexed_sql(ctx) == []


def test_ten_kilobytes_of_query(client):
    response, html = search(client, "war " * 2500)
    assert "too long (10,000 characters)" in html
    assert 'value="war war' in html and "war " * 60 not in html


# --- the parser


@pytest.mark.parametrize("raw, include, exclude", [
    ("Trade  War", [("trade",), ("war",)], []),
    ('"trade war" ports', [("trade", "war"), ("ports",)], []),
    ('grain -wheat -"maize prices"', [("grain",)], [("wheat",), ("maize", "prices")]),
    ("deep-sea mining", [("deep", "sea"), ("mining",)], []),
    ('"unterminated phrase', [("unterminated", "phrase")], []),
    ("war war WAR", [("war",)], []),
    ("NEAR(a, b)", [("near", "a"), ("b",)], []),  # words joined by punctuation: a phrase
    ("U.S. sanctions", [("u", "s"), ("sanctions",)], []),
    ("Ａｒｃｔｉｃ café", [("arctic",), ("café",)], []),
])
def test_parse(raw, include, exclude):
    parsed = search_query.parse(raw)
    assert parsed.ok
    assert list(parsed.include) == include
    assert list(parsed.exclude) == exclude


def test_parse_caps_the_number_of_words():
    parsed = search_query.parse(" ".join(f"w{i}" for i in range(20)))
    assert parsed.truncated and len(parsed.words) == search_query.MAX_WORDS
