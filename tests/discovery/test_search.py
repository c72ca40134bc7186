"""Reader search: ranking, syntax, filters, snippets, freshness, paging and hostile input."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from masthead.briefs.models import Brief
from masthead.discovery.models import SearchEntry
from masthead.discovery.search import query as search_query
from masthead.discovery.search import selectors
from masthead.discovery.search.backends import Filters
from tests import factories as f
from tests.sharedrows import made_live, shared_rows

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def text(*paragraphs: str) -> list[dict]:
    return [{"type": "paragraph", "value": f"<p>{p}</p>"} for p in paragraphs]


def search(client, q: str = "", **params):
    response = client.get("/search/", {"q": q, **params})
    assert response.status_code == 200, response.content[:500]
    return response, response.content.decode()


def headlines(html: str) -> list[str]:
    found = re.findall(r'<h2 class="search-result__headline"><a href="[^"]*">(.*?)</a></h2>', html)
    return [re.sub(r"</?mark>", "", h) for h in found]


def results(client, q: str, **params) -> list[str]:
    return headlines(search(client, q, **params)[1])


# --- indexing follows publishing


def test_publishing_indexes_after_commit(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        article = f.article("Lithium and the water question")
    assert not SearchEntry.objects.filter(item_id=article.pk).exists()  # not before commit
    for callback in callbacks:
        callback()
    assert results(client, "lithium") == ["Lithium and the water question"]


def test_unpublished_article_leaves_results_at_once(client, live):
    article = live(f.article, "Desalination diplomacy in the Gulf")
    assert results(client, "desalination") == ["Desalination diplomacy in the Gulf"]
    article.unpublish()  # no commit callbacks run: removal is synchronous
    assert results(client, "desalination") == []


def test_draft_is_never_found(client, live):
    live(f.article, "A secret draft about turbines", publish=False)
    assert results(client, "turbines") == []


def test_deleted_article_and_brief_leave_results(client, live):
    article = live(f.article, "Arctic ports are thawing")
    brief = live(f.brief, "Arctic shipping lane opens")
    assert len(results(client, "arctic")) == 2
    article.delete()
    Brief.objects.get(pk=brief.pk).delete()
    assert results(client, "arctic") == []


def test_republished_headline_is_found_by_its_new_words(client, live):
    article = live(f.article, "Fisheries talks stall")
    article.title = "Fisheries talks collapse"
    live(article.save_revision().publish)
    assert results(client, "collapse") == ["Fisheries talks collapse"]
    assert results(client, "stall") == []


def test_author_rename_reindexes_their_articles(client, live):
    writer = f.author("Ana Lima")
    live(f.article, "Rivers of the Amazon", authors=[writer])
    assert results(client, "Lima") == ["Rivers of the Amazon"]
    writer.name = "Ana Souza"
    live(writer.save)
    assert results(client, "Souza") == ["Rivers of the Amazon"]
    assert results(client, "Lima") == []


def test_briefs_are_found_and_unpublishing_removes_them(client, live):
    brief = live(f.brief, "Port strike ends after nine days")
    response, html = search(client, "strike")
    assert headlines(html) == ["Port strike ends after nine days"]
    assert f'href="/briefs/#brief-{brief.pk}"' in html
    assert '<a href="/briefs/">Brief</a>' in html
    Brief.objects.get(pk=brief.pk).unpublish()  # the factory's object is not the live one
    assert results(client, "strike") == []


def test_rebuild_indexes_everything_and_drops_what_is_gone(client, live):
    kept = f.article("Pacific fisheries under pressure")  # no task ran: not indexed yet
    f.brief("Pacific tuna quotas agreed")
    SearchEntry.objects.create(id=1, item_type="article", item_id=999999, url="/gone/",
                               headline="Pacific ghost", published_at=f.BASE_TIME, digest="x")
    assert results(client, "pacific") == ["Pacific ghost"]
    call_command("search_rebuild", verbosity=0)
    assert sorted(results(client, "pacific")) == [
        "Pacific fisheries under pressure", "Pacific tuna quotas agreed"]
    assert SearchEntry.objects.count() == 2
    before = dict(SearchEntry.objects.values_list("item_id", "id"))
    call_command("search_rebuild", verbosity=0)  # nothing changed: nothing rewritten
    assert dict(SearchEntry.objects.values_list("item_id", "id")) == before
    assert before[kept.pk]


# --- ranking, syntax, snippets


def test_headline_match_ranks_above_body_only_match(client, live):
    live(f.article, "Sanctions and the shipping insurers", body=text("Ports and cargo."),
         published_at=f.BASE_TIME)
    live(f.article, "A quiet week at the ports", body=text("New sanctions were mentioned."),
         published_at=f.BASE_TIME + timedelta(days=30))
    assert results(client, "sanctions") == [
        "Sanctions and the shipping insurers", "A quiet week at the ports"]


def test_dek_match_ranks_above_body_only_match(client, live):
    live(f.article, "One", dek="Why cobalt matters.", published_at=f.BASE_TIME)
    live(f.article, "Two", body=text("Cobalt again."), published_at=f.BASE_TIME + timedelta(1))
    assert results(client, "cobalt") == ["One", "Two"]


def test_body_only_matches_are_newest_first(client, live):
    for day in (3, 1, 2):
        live(f.article, f"Day {day}", body=text("Mention of corridors."),
             published_at=f.BASE_TIME + timedelta(days=day))
    assert results(client, "corridors") == ["Day 3", "Day 2", "Day 1"]


def test_stemming_finds_other_forms(client, live):
    live(f.article, "New sanctions on shipping")
    assert results(client, "sanction") == ["New sanctions on shipping"]
    assert results(client, "shipped") == ["New sanctions on shipping"]


def test_every_word_must_match(client, live):
    live(f.article, "Grain and fertiliser")
    live(f.article, "Grain alone")
    assert results(client, "grain fertiliser") == ["Grain and fertiliser"]


def test_words_are_found_in_byline_tags_and_body(client, live):
    live(f.article, "Plain headline", authors=[f.author("Dmitri Okafor")], tags=["hydropower"],
         body=text("Deep in the text: aquifers."))
    for word in ("okafor", "hydropower", "aquifers"):
        assert results(client, word) == ["Plain headline"], word


def test_phrase_must_appear_as_written(client, live):
    live(f.article, "The trade war widens")
    live(f.article, "War over trade routes")
    assert sorted(results(client, "trade war")) == ["The trade war widens",
                                                   "War over trade routes"]
    assert results(client, '"trade war"') == ["The trade war widens"]


def test_excluded_word_removes_matches_wherever_it_is(client, live):
    live(f.article, "Grain prices rise", body=text("Wheat leads the rise."))
    live(f.article, "Grain routes shift", body=text("Maize leads."))
    live(f.article, "Grain and war", published_at=f.BASE_TIME)
    assert results(client, "grain -wheat -war") == ["Grain routes shift"]
    # Equal scores: the newer first.
    assert results(client, 'grain -"maize leads"') == ["Grain prices rise", "Grain and war"]


def test_snippet_marks_hits_and_escapes_the_text(client, live):
    live(f.article, "Tom & Jerry's <b>bold</b> plan",
         body=text("Before. The &lt;script&gt;alert(1)&lt;/script&gt; lithium mine &amp; co."))
    html = search(client, "lithium")[1]
    snippet = re.search(r'<p class="search-result__snippet">(.*?)</p>', html).group(1)
    assert "<mark>lithium</mark> mine" in snippet
    assert "alert(1)" in snippet and "<script" not in snippet  # PostgreSQL drops tag-like text
    assert "Tom &amp; Jerry&#x27;s &lt;b&gt;bold&lt;/b&gt; plan" in html
    html = search(client, "bold")[1]
    assert "Tom &amp; Jerry&#x27;s &lt;b&gt;<mark>bold</mark>&lt;/b&gt; plan" in html


def test_strong_match_is_summarised_by_its_dek_or_body_start(client, live):
    live(f.article, "Hydrogen valleys", dek="Where the pipes go.", body=text("Hydrogen again."))
    live(f.brief, "Hydrogen brief")
    html = search(client, "hydrogen")[1]
    summaries = re.findall(r'<p class="search-result__snippet">(.*?)</p>', html)
    assert len(summaries) == 2 and re.fullmatch(r"Brief body \d+\.", summaries[0])  # newer
    assert summaries[1] == "Where the pipes go."


def test_dek_is_shown_when_the_body_has_no_hit(client, live):
    live(f.article, "Nothing here", dek="Hydrogen valleys explained.", body=text("Other words."))
    assert "<mark>Hydrogen</mark> valleys explained." in search(client, "hydrogen")[1]


def test_result_shows_kind_section_byline_and_date(client, live):
    writer = f.author("Leila Haddad", slug="leila-haddad")
    live(f.article, "Solar diplomacy", authors=[writer], kind_slug="opinion",
         section_slug="middle-east", published_at=f.BASE_TIME)
    html = search(client, "solar")[1]
    assert '<a href="/kind/opinion/">Opinion</a>' in html
    assert '<a href="/section/middle-east/">Middle East</a>' in html
    assert 'By <a href="/authors/leila-haddad/" rel="author">Leila Haddad</a>' in html
    assert f'datetime="{f.BASE_TIME.isoformat()}"' in html


# --- filters combine with the query


class TestFilters:
    """One newsroom, made once: the searches only read it."""

    @pytest.fixture(scope="class")
    @classmethod
    def newsroom(cls, django_db_setup, django_db_blocker, tmp_path_factory):
        with shared_rows(django_db_blocker, tmp_path_factory):
            ana, ben = f.author("Ana Lima", slug="ana-lima"), f.author("Ben Park", slug="ben-park")
            made_live(f.article, "Energy in Europe", section_slug="europe", kind_slug="analysis",
                      authors=[ana], published_at=f.BASE_TIME)
            made_live(f.article, "Energy in Africa", section_slug="africa", kind_slug="opinion",
                      authors=[ben], published_at=f.BASE_TIME + timedelta(days=10),
                      other_sections=["global"])
            made_live(f.article, "Energy by both", section_slug="africa", kind_slug="analysis",
                      authors=[ana, ben], published_at=f.BASE_TIME + timedelta(days=20))
            made_live(f.brief, "Energy brief", section_slug="europe",
                      published_at=f.BASE_TIME + timedelta(days=30))
            made_live(f.article, "Water in Europe", section_slug="europe", authors=[ana],
                      published_at=f.BASE_TIME + timedelta(days=40))
            yield

    @pytest.mark.parametrize("params, expected", [
        ({}, ["Energy brief", "Energy by both", "Energy in Africa", "Energy in Europe"]),
        ({"section": "europe"}, ["Energy brief", "Energy in Europe"]),
        ({"section": "global"}, ["Energy in Africa"]),  # other sections count
        ({"kind": "analysis"}, ["Energy by both", "Energy in Europe"]),
        ({"kind": "brief"}, ["Energy brief"]),
        ({"author": "ana-lima"}, ["Energy by both", "Energy in Europe"]),
        ({"author": "ben-park", "kind": "opinion"}, ["Energy in Africa"]),
        ({"from": "2026-11-11", "to": "2026-11-21"}, ["Energy by both", "Energy in Africa"]),
        ({"from": "2026-11-21"}, ["Energy brief", "Energy by both"]),
        ({"to": "2026-11-01"}, ["Energy in Europe"]),
        ({"to": "2026-11-11", "from": "2026-11-21"}, ["Energy by both", "Energy in Africa"]),
        ({"section": "africa", "author": "ana-lima", "from": "2026-11-05"}, ["Energy by both"]),
        ({"section": "asia-pacific"}, []),
        ({"section": "no-such-section", "from": "yesterday"}, ["Energy brief", "Energy by both",
                                                              "Energy in Africa",
                                                              "Energy in Europe"]),
    ])
    def test_filters_combine_with_the_query(self, client, newsroom, params, expected):
        assert sorted(results(client, "energy", **params)) == expected

    def test_filter_form_keeps_the_query_and_choices(self, client, newsroom):
        html = search(client, "energy", section="europe", author="ana-lima",
                      **{"from": "2026-11-02"})[1]
        assert 'id="search-q" name="q" value="energy"' in html
        assert '<option value="europe" selected>Europe</option>' in html
        assert '<option value="ana-lima" selected>Ana Lima</option>' in html
        assert '<option value="brief">Briefs</option>' in html
        assert 'name="from" value="2026-11-02"' in html

    def test_invalid_filters_are_ignored_with_a_message(self, client, newsroom):
        html = search(client, "energy", kind="poetry", to="3000-01-01")[1]
        assert "That choice is not available" in html
        assert "Enter a date between 1900 and 2999." in html
        assert len(headlines(html)) == 4


# --- paging, counting, pages without a search


class TestPaging:
    """25 matching stories, made once: the searches only read them."""

    @pytest.fixture(scope="class")
    @classmethod
    def many(cls, django_db_setup, django_db_blocker, tmp_path_factory):
        with shared_rows(django_db_blocker, tmp_path_factory):
            for i in range(25):
                made_live(f.article, f"Tariff story {i:02d}",
                          published_at=f.BASE_TIME + timedelta(hours=i))
            yield

    def test_pages_of_ten_and_404_past_the_end(self, client, many):
        response, html = search(client, "tariff")
        assert headlines(html) == [f"Tariff story {i:02d}" for i in range(24, 14, -1)]
        assert "25 results" in html
        assert 'href="/search/?q=tariff&amp;page=2"' in html
        assert len(results(client, "tariff", page="3")) == 5
        for page in ("4", "0", "-1", "abc", "1.5", "101", "9999999"):
            assert client.get("/search/", {"q": "tariff", "page": page}).status_code == 404, page

    def test_count_is_capped(self, client, many, monkeypatch):
        monkeypatch.setattr(selectors, "COUNT_CAP", 20)
        assert "More than 20 results" in search(client, "tariff")[1]

    def test_paging_keeps_filters(self, client, many):
        html = search(client, "tariff", section="europe")[1]
        assert 'href="/search/?q=tariff&amp;section=europe&amp;page=2"' in html


def test_selector_pages_through_strong_and_other_matches(live):
    for i in range(8):  # strong matches (headline), older
        live(f.article, f"Quota {i}", published_at=f.BASE_TIME + timedelta(hours=i))
    for i in range(8):  # body-only matches, newer
        live(f.article, f"Other {i}", body=text("A quota was set."),
             published_at=f.BASE_TIME + timedelta(days=5, hours=i))
    query = search_query.parse("quota")
    first = selectors.search_page(query, Filters(), 1, size=5)
    second = selectors.search_page(query, Filters(), 2, size=5)
    third = selectors.search_page(query, Filters(), 3, size=5)
    shown = [r["headline_html"].striptags() for p in (first, second, third) for r in p.items]
    assert shown[:8] == [f"Quota {i}" for i in range(7, -1, -1)]  # same score: newest first
    assert shown[8:] == [f"Other {i}" for i in range(7, 0, -1)]
    assert (first.has_next, second.has_next, third.has_next) == (True, True, True)
    assert first.total == 16


def test_no_results_page(client, live):
    live(f.article, "Something else")
    html = search(client, "zeppelin")[1]
    assert "Nothing found for “zeppelin”" in html
    html = search(client, "zeppelin", section="europe")[1]
    assert 'href="/search/?q=zeppelin">search without filters</a>' in html


def test_headers_robots_and_header_box(client, live):
    live(f.article, "Cables under the sea")
    response, html = search(client, "cables")
    assert response["Cache-Control"] == "public, max-age=60, s-maxage=86400"
    assert "search" in response["xkey"].split()
    assert '<meta name="robots" content="noindex">' in html
    assert 'id="site-search-q" type="search" name="q" maxlength="200" placeholder="Search" value="cables"' in html


def test_query_count_does_not_grow_with_results(client, live):
    """No query per result: a page of 10 costs the same however many match, with many authors
    and tags on each."""
    writers = [f.author() for _ in range(4)]

    def count_queries():
        client.get("/search/", {"q": "harbour"})  # warm the chrome
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/search/", {"q": "harbour"}).status_code == 200
        return len(ctx)

    counts = []
    for batch in (12, 13):
        for i in range(batch):
            live(f.article, f"Harbour {batch}-{i}", authors=writers[: 1 + i % 4],
                 tags=[f"t{i}", "harbours"])
        counts.append(count_queries())
    assert counts[0] == counts[1]
