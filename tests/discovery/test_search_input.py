"""Reader search with hostile and odd input: always a normal page, never an error."""

from __future__ import annotations

import pytest

from masthead.discovery.search import query as search_query
from masthead.discovery.search import selectors
from masthead.discovery.search.backends import Filters
from tests import factories as f
from tests.discovery.test_search import search

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def live(django_capture_on_commit_callbacks):
    """Make content with publishing's on-commit tasks run, as after a real commit."""

    def make(factory, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return factory(*args, **kwargs)

    return make


NASTY = [
    '"*:^()', "NEAR(", "NEAR(a b, 2)", "AND OR NOT", "OR", "NOT war", '"', '""', 'a"b', '"open',
    "-", "--", '-"', "- -x", "\x00", "war\x00peace", "\x01\x02\x1f", "\u202e\u200b", "\ue000x\ue001",
    "ünïcødé 東京 🚀", "Ａｒｃｔｉｃ", "½", "c++", "$100", "%", "%s %(x)s", "\\", "'; DROP TABLE x; --",
    "headline: war", "{headline dek}: war", "^war", "war*", "*", "a" * 200, "x " * 100,
    "<script>alert(1)</script>", "col:term AND -(x OR y)", "@@ !! && || <->",
    "'quoted' & !negated | (grouped)", "war:A", ":*", "NEAR/2", "one + two",
]


@pytest.mark.parametrize("q", NASTY)
def test_hostile_queries_render_a_normal_page(client, live, q):
    live(f.article, "War and peace in the Arctic")
    response = client.get("/search/", {"q": q, "page": "1"})
    assert response.status_code == 200
    assert "<script>alert" not in response.content.decode()


def test_ten_kilobytes_of_query(client):
    response, html = search(client, "war " * 2500)
    assert "too long (10,000 characters)" in html
    assert 'value="war war' in html and "war " * 60 not in html


@pytest.mark.parametrize("q", [*NASTY, "\ud800 lone surrogate"])
def test_hostile_queries_reach_the_backend_safely(live, q):
    live(f.article, "War and peace in the Arctic")
    parsed = search_query.parse(q)
    page = selectors.search_page(parsed, Filters(section_id=1, author_id=2), 1)
    assert page.items == [] or parsed.ok


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
