"""Feeds: every scope and format parses, carries what readers need, caches, and survives bad text."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import urlsplit

import feedparser
import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date

from masthead.briefs.models import Brief
from masthead.core import versioning
from masthead.core.models import MagazineSettings
from masthead.discovery.feed_links import link_tags
from masthead.discovery.feeds import atom, entries, jsonfeed, rss
from masthead.discovery.feeds.model import Channel, Person
from masthead.editorial.models import ArticlePage, PublishedArticle
from tests import factories as f

pytestmark = pytest.mark.django_db

FILES = ("rss.xml", "atom.xml", "feed.json")
CONTENT_TYPES = {
    "rss.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
}
SITE = "http://127.0.0.1:8000"
HOSTILE = "Nul\x00 VT\x0b Esc\x1b C1\x85 Nonchar\ufffe <script>alert(1)</script> ]]> AT&T"
HOSTILE_CLEAN = "Nul VT Esc C1 Nonchar <script>alert(1)</script> ]]> AT&T"


# --- reading feeds


def validate_json_feed(data: dict) -> None:
    """The required fields and types of JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""
    known = {"version", "title", "home_page_url", "feed_url", "description", "user_comment",
             "next_url", "icon", "favicon", "authors", "language", "expired", "hubs", "items"}
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(data["title"], str) and data["title"]
    assert all(k in known or k.startswith("_") for k in data), "unknown top-level key"
    for key in ("home_page_url", "feed_url", "icon", "favicon"):
        assert key not in data or urlsplit(data[key]).scheme in ("http", "https")
    _validate_authors(data.get("authors", []))
    assert isinstance(data["items"], list)
    ids = [item["id"] for item in data["items"]]
    assert all(isinstance(i, str) and i for i in ids) and len(set(ids)) == len(ids)
    for item in data["items"]:
        _validate_item(item)


def _validate_item(item: dict) -> None:
    assert isinstance(item.get("content_html", item.get("content_text")), str)
    for key in ("url", "image"):
        assert key not in item or urlsplit(item[key]).scheme in ("http", "https")
    for key in ("title", "summary", "content_text", "content_html"):
        assert isinstance(item.get(key, ""), str)
    for key in ("date_published", "date_modified"):
        if key in item:
            assert datetime.fromisoformat(item[key]).tzinfo is not None
    _validate_authors(item.get("authors", []))
    assert all(isinstance(t, str) for t in item.get("tags", []))
    for attachment in item.get("attachments", []):
        assert urlsplit(attachment["url"]).scheme in ("http", "https")
        assert isinstance(attachment["mime_type"], str) and "/" in attachment["mime_type"]
        assert isinstance(attachment.get("size_in_bytes", 0), int)


def _validate_authors(authors) -> None:
    assert isinstance(authors, list)
    for author in authors:
        assert isinstance(author, dict) and {"name", "url", "avatar"} & set(author)


def read(response):
    """feedparser's reading of an RSS or Atom feed, which must be clean (bozo 0) and strictly
    well formed; for JSON Feed (which feedparser 6 does not read), the validated items."""
    if response["Content-Type"].startswith("application/feed+json"):
        data = json.loads(response.content)
        validate_json_feed(data)
        return SimpleNamespace(feed=data, entries=[
            SimpleNamespace(title=i["title"], link=i["url"]) for i in data["items"]])
    ET.fromstring(response.content)
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def fetch(client, url: str, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, url
    assert response["Content-Type"] == CONTENT_TYPES[url.rsplit("/", 1)[1]]
    return response


def titles(client, url: str) -> list[str]:
    return [e.title for e in read(fetch(client, url)).entries]


# --- the newsroom


@pytest.fixture(autouse=True)
def _no_cached_renditions():
    """Wagtail keeps renditions in Django's cache; ids repeat between tests, media folders do not."""
    for cache in caches.all():
        cache.clear()


@pytest.fixture
def newsroom():
    ines = f.author("Ines Duarte", slug="ines-duarte")
    tomas = f.author("Tomas Berg", slug="tomas-berg")
    oldest = f.article("Grain routes after the war", section_slug="africa", kind_slug="analysis",
                       authors=[tomas], tags=["trade"])
    older = f.article("The gas deal", section_slug="europe", kind_slug="news", authors=[ines],
                      tags=["energy"], other_sections=["global"])
    body = f.paragraphs(2) + [{"type": "paragraph",
                               "value": '<p>See <a href="/briefs/">the briefs</a>.</p>'}]
    lead = f.article("Why the grid matters", section_slug="europe", kind_slug="opinion",
                     authors=[ines, tomas], tags=["energy", "security"], body=body,
                     dek="Power lines are the new front line.",
                     top_image_credit="Photo: Jane Roe / Agency", top_image_alt="Pylons at dusk")
    f.brief("Old brief")
    brief = Brief.objects.get(pk=f.brief("New brief").pk)  # as published, live
    brief.source_url, brief.source_name = "https://wire.example/story", "The Wire"
    brief.body = f'<p>Brief body. <a linktype="page" id="{lead.pk}">Our analysis</a>.</p>'
    brief.tags.add("energy")
    brief.save()
    brief.save_revision().publish()
    return {"ines": ines, "tomas": tomas, "oldest": oldest, "older": older, "lead": lead,
            "brief": brief}


EXPECTED = {
    "/feeds/": ["Why the grid matters", "The gas deal", "Grain routes after the war"],
    "/feeds/full/": ["Why the grid matters", "The gas deal", "Grain routes after the war"],
    "/feeds/section/europe/": ["Why the grid matters", "The gas deal"],
    "/feeds/section/global/": ["The gas deal"],  # a secondary section
    "/feeds/kind/opinion/": ["Why the grid matters"],
    "/feeds/tag/energy/": ["Why the grid matters", "The gas deal"],
    "/feeds/authors/ines-duarte/": ["Why the grid matters", "The gas deal"],
    "/feeds/authors/tomas-berg/": ["Why the grid matters", "Grain routes after the war"],
    "/feeds/briefs/": ["New brief", "Old brief"],
}


def test_every_feed_lists_its_items_newest_first_in_every_format(client, newsroom):
    for root, expected in EXPECTED.items():
        for name in FILES:
            parsed = read(fetch(client, root + name))
            assert [e.title for e in parsed.entries] == expected, root + name
            for entry in parsed.entries:
                assert entry.link.startswith(SITE + "/")
                assert client.get(urlsplit(entry.link).path).status_code == 200


def test_rss_item_carries_link_guid_dates_authors_categories_and_image(client, newsroom):
    lead = newsroom["lead"]
    entry = read(fetch(client, "/feeds/rss.xml")).entries[0]
    assert entry.link == f"{SITE}/articles/{lead.slug}/"
    assert entry.id == f"tag:127.0.0.1,{lead.first_published_at:%Y-%m-%d}:article/{lead.pk}"
    assert entry.guidislink is False
    assert datetime(*entry.published_parsed[:6]) == lead.first_published_at.replace(tzinfo=None)
    assert [a.name for a in entry.authors] == ["Ines Duarte", "Tomas Berg"]
    assert [(t.term, t.scheme) for t in entry.tags] == [
        ("Europe", f"{SITE}/section/"), ("Opinion", f"{SITE}/kind/"),
        ("energy", f"{SITE}/tag/"), ("security", f"{SITE}/tag/")]
    assert entry.summary == "Power lines are the new front line."
    record = PublishedArticle.objects.get(page=lead)
    size = os.path.getsize(os.path.join(settings.MEDIA_ROOT,
                                        record.image_url.removeprefix(settings.MEDIA_URL)))
    [enclosure] = entry.enclosures
    assert enclosure == {"href": SITE + record.image_url, "length": str(size),
                         "type": "image/jpeg"}
    assert entry.media_content[0]["url"] == SITE + record.image_url
    assert entry.media_content[0]["filesize"] == str(size)
    assert entry.media_credit == [{"content": "Photo: Jane Roe / Agency"}]
    assert b"<media:description type=\"plain\">Pylons at dusk</media:description>" in \
        fetch(client, "/feeds/rss.xml").content


def test_atom_entry_carries_authors_with_their_pages_categories_and_enclosure(client, newsroom):
    lead = newsroom["lead"]
    parsed = read(fetch(client, "/feeds/atom.xml"))
    entry = parsed.entries[0]
    assert entry.id.endswith(f":article/{lead.pk}")
    assert entry.updated_parsed and entry.published_parsed
    assert [(a.name, a.href) for a in entry.authors] == [
        ("Ines Duarte", f"{SITE}/authors/ines-duarte/"),
        ("Tomas Berg", f"{SITE}/authors/tomas-berg/")]
    assert [(t.term, t.label) for t in entry.tags][:2] == [("europe", "Europe"),
                                                          ("opinion", "Opinion")]
    [enclosure] = entry.enclosures
    assert enclosure.type == "image/jpeg" and int(enclosure.length) > 0
    assert entry.media_credit == [{"content": "Photo: Jane Roe / Agency"}]
    assert entry.summary == "Power lines are the new front line."
    assert "content" not in entry or entry.content[0].value == "Pylons at dusk"  # media:description
    # Briefs name no author: the feed names the magazine, as Atom requires.
    assert read(fetch(client, "/feeds/briefs/atom.xml")).feed.author == "The Meridian Review"


def test_json_feed_item_carries_image_attachment_authors_and_tags(client, newsroom):
    data = json.loads(fetch(client, "/feeds/feed.json").content)
    item = data["items"][0]
    assert item["title"] == "Why the grid matters"
    assert item["content_text"] == item["summary"] == "Power lines are the new front line."
    assert item["authors"] == [{"name": "Ines Duarte", "url": f"{SITE}/authors/ines-duarte/"},
                               {"name": "Tomas Berg", "url": f"{SITE}/authors/tomas-berg/"}]
    assert item["tags"] == ["Europe", "Opinion", "energy", "security"]
    [attachment] = item["attachments"]
    assert attachment["url"] == item["image"] and attachment["mime_type"] == "image/jpeg"
    assert attachment["size_in_bytes"] > 0 and attachment["title"] == "Pylons at dusk"
    assert item["_media"] == {"credit": "Photo: Jane Roe / Agency", "description": "Pylons at dusk"}


def test_briefs_carry_their_body_source_section_and_tags(client, newsroom):
    brief = newsroom["brief"]
    item = json.loads(fetch(client, "/feeds/briefs/feed.json").content)["items"][0]
    assert item["url"] == f"{SITE}/briefs/#brief-{brief.pk}"
    assert item["id"].endswith(f":brief/{brief.pk}")
    assert item["content_html"].startswith(
        f'<p>Brief body. <a href="{SITE}/articles/{newsroom["lead"].slug}/">Our analysis</a>.</p>')
    assert item["summary"] == "Brief body. Our analysis."
    assert '<p>Source: <a href="https://wire.example/story">The Wire</a></p>' in item["content_html"]
    assert item["tags"] == ["Europe", "energy"]
    entry = read(fetch(client, "/feeds/briefs/rss.xml")).entries[0]
    assert "The Wire" in entry.content[0].value


def test_full_text_feeds_carry_the_cleaned_body_and_the_others_do_not(client, newsroom):
    lead = newsroom["lead"]
    link = f'<a href="{SITE}/briefs/">the briefs</a>'  # made absolute for readers
    rss_entry = read(fetch(client, "/feeds/full/rss.xml")).entries[0]
    assert "Paragraph 1 of the body text." in rss_entry.content[0].value
    assert link in rss_entry.content[0].value
    atom_entry = read(fetch(client, "/feeds/full/atom.xml")).entries[0]
    assert [c.value for c in atom_entry.content if c.type == "text/html"][0].count(link) == 1
    item = json.loads(fetch(client, "/feeds/full/feed.json").content)["items"][0]
    assert link in item["content_html"] and "content_text" not in item
    assert item["summary"] == lead.dek
    for url in ("/feeds/rss.xml", "/feeds/section/europe/rss.xml"):
        assert b"content:encoded" not in fetch(client, url).content
    assert b"<content" not in fetch(client, "/feeds/atom.xml").content


def test_feed_level_title_links_language_and_artwork(client, newsroom):
    magazine = MagazineSettings.load()
    magazine.tagline, magazine.logo = "Independent analysis.", f.image("Logo", size=(600, 600))
    magazine.save()
    feed = read(fetch(client, "/feeds/section/europe/rss.xml")).feed
    assert feed.title == "The Meridian Review: Europe"
    assert feed.link == f"{SITE}/section/europe/"
    assert feed.subtitle.startswith("From the Atlantic to the Urals")
    assert feed.language == "en-GB"
    assert {"rel": "self", "type": "application/rss+xml",
            "href": f"{SITE}/feeds/section/europe/rss.xml"} in feed.links
    assert feed.image.href.startswith(f"{SITE}/media/") and feed.updated_parsed
    feed = read(fetch(client, "/feeds/atom.xml")).feed
    assert feed.title == "The Meridian Review" and feed.subtitle == "Independent analysis."
    assert feed.id == f"{SITE}/feeds/"
    assert feed.icon.startswith(f"{SITE}/media/") and feed.logo.startswith(f"{SITE}/media/")
    assert {"rel": "self", "type": "application/atom+xml", "href": f"{SITE}/feeds/atom.xml"} \
        in feed.links
    data = json.loads(fetch(client, "/feeds/briefs/feed.json").content)
    assert data["title"] == "The Meridian Review: Briefs"
    assert data["feed_url"] == f"{SITE}/feeds/briefs/feed.json"
    assert data["home_page_url"] == f"{SITE}/briefs/" and data["language"] == "en-GB"
    assert data["icon"].startswith(f"{SITE}/media/") and data["favicon"].startswith(SITE)


@pytest.mark.parametrize("url", [
    "/feeds/section/nowhere/rss.xml", "/feeds/kind/nothing/atom.xml", "/feeds/tag/none/feed.json",
    "/feeds/authors/nobody/rss.xml", "/feeds/rss.json", "/feeds/planet/europe/rss.xml",
    "/feeds/section/europe/index.xml",
])
def test_an_unknown_feed_is_not_found(client, url):
    assert client.get(url).status_code == 404


def test_feeds_only_answer_get_and_head(client):
    assert client.post("/feeds/rss.xml").status_code == 405
    assert client.head("/feeds/rss.xml").status_code == 200


def test_headers_name_what_the_feed_shows_and_let_proxies_cache_it(client, newsroom):
    response = fetch(client, "/feeds/section/europe/atom.xml")
    keys = response["xkey"].split()
    assert {"feed", "site", f"article-{newsroom['lead'].pk}",
            f"article-{newsroom['older'].pk}"} <= set(keys)
    assert f"article-{newsroom['oldest'].pk}" not in keys
    assert response["Cache-Control"] == "public, max-age=300, s-maxage=86400"
    assert response["Last-Modified"] == http_date(newsroom["lead"].first_published_at.timestamp())
    assert response["ETag"]
    brief_keys = fetch(client, "/feeds/briefs/rss.xml")["xkey"].split()
    assert f"brief-{newsroom['brief'].pk}" in brief_keys and "briefs" in brief_keys


@pytest.mark.parametrize("name", FILES)
def test_conditional_get_answers_not_modified_until_something_is_published(client, newsroom, name):
    url = f"/feeds/{name}"
    first = fetch(client, url)
    etag, modified = first["ETag"], first["Last-Modified"]
    for headers in ({"HTTP_IF_NONE_MATCH": etag}, {"HTTP_IF_MODIFIED_SINCE": modified}):
        again = client.get(url, **headers)
        assert again.status_code == 304 and again.content == b""
        assert again["ETag"] == etag and again["Cache-Control"] == "public, max-age=300, s-maxage=86400"
    f.article("Breaking story")
    for headers in ({"HTTP_IF_NONE_MATCH": etag}, {"HTTP_IF_MODIFIED_SINCE": modified}):
        fresh = client.get(url, **headers)
        assert fresh.status_code == 200 and fresh["ETag"] != etag
        assert [e.title for e in read(fresh).entries][0] == "Breaking story"


def test_unpublished_items_leave_every_feed(client, newsroom):
    newsroom["lead"].unpublish()
    Brief.objects.get(pk=newsroom["brief"].pk).unpublish()
    for root in ("/feeds/", "/feeds/section/europe/", "/feeds/tag/energy/",
                 "/feeds/authors/ines-duarte/", "/feeds/kind/opinion/"):
        for name in FILES:
            assert "Why the grid matters" not in titles(client, root + name)
    assert titles(client, "/feeds/briefs/rss.xml") == ["Old brief"]


def test_feeds_show_feed_items_items(client, newsroom, settings):
    settings.FEED_ITEMS = 2
    assert titles(client, "/feeds/atom.xml") == ["Why the grid matters", "The gas deal"]


# --- bad text


def test_hostile_text_is_cleaned_when_saved():
    page = f.article("A story to correct")
    page.title = page.dek = page.top_image_credit = HOSTILE + "\ud800"
    page.save_revision().publish()
    page.refresh_from_db()
    record = PublishedArticle.objects.get(page=page)
    assert page.title == page.dek == record.headline == record.image_credit == HOSTILE_CLEAN
    brief = Brief(headline=HOSTILE + "\ud800", body=f"<p>{HOSTILE}\ud800</p>",
                  source_name="Wire\x1b", section=f.section())
    brief.full_clean()
    assert brief.headline == HOSTILE_CLEAN and brief.source_name == "Wire"
    assert brief.body == f"<p>{HOSTILE_CLEAN}</p>"


def test_hostile_text_in_old_rows_does_not_break_any_feed(client, newsroom):
    # Rows written before cleaning existed (or by raw SQL) may still hold anything.
    PublishedArticle.objects.update(
        headline=HOSTILE, dek=HOSTILE, image_credit=HOSTILE, image_alt=HOSTILE,
        body_html=f'<p onclick="x()">{HOSTILE}</p><a href="javascript:alert(1)">j</a>'
                  f"<script>alert(2)</script><style>p{{}}</style>",
        authors=[{"name": HOSTILE, "url": "/authors/x/"}],
        tags=[{"id": 1, "name": HOSTILE, "slug": "x"}],
    )
    Brief.objects.update(headline=HOSTILE, body=f"<p>{HOSTILE}</p>", source_name=HOSTILE)
    versioning.bump()
    for root in EXPECTED:
        for name in FILES:
            response = fetch(client, root + name)
            parsed = read(response)
            assert parsed.entries and {e.title for e in parsed.entries} == {HOSTILE_CLEAN}
            body = response.content.decode()
            assert "alert(2)" not in body and "javascript:" not in body
            assert "onclick" not in body and "p{}" not in body


def test_lone_surrogates_and_markup_in_a_record_still_make_valid_feeds():
    bad = "Lone\ud800 surrogate\udfff and\x00 <b>markup</b> ]]> & done"
    row = {"page_id": 7, "url": "/articles/bad/", "headline": bad, "dek": bad,
           "kind_id": None, "section_id": None, "published_at": f.BASE_TIME,
           "updated_at": None, "authors": [{"name": bad, "url": "/authors/bad/"}],
           "tags": [{"name": bad, "slug": "bad"}], "image_url": "/media/bad\ud800.jpg",
           "image_alt": bad, "image_credit": bad, "body_html": f"<p>{bad}</p>"}
    entry = entries.article_entry(row, sections={}, kinds={}, full=True)
    channel = Channel(id="tag:x", title=bad, description=bad, home_url=SITE + "/",
                      feed_root=SITE + "/feeds/", language="en-GB", updated=f.BASE_TIME,
                      entries=(entry,), publisher=Person(bad))
    clean = "Lone surrogate and <b>markup</b> ]]> & done"
    for write in (rss.write, atom.write):
        body = write(channel)
        ET.fromstring(body)
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0 and parsed.entries[0].title == clean
    data = json.loads(jsonfeed.write(channel))
    validate_json_feed(data)
    assert data["items"][0]["title"] == clean
    assert data["items"][0]["content_html"] == "<p>Lone surrogate and <b>markup</b> ]]&gt; &amp; done</p>"


# --- queries


def _newsroom(n: int) -> str:
    """n articles with authors and tags, and n tagged briefs; returns an author's slug."""
    writers = [f.author() for _ in range(n)]
    tags = [f"tag-{i}" for i in range(n)]
    for i in range(n):
        f.article(section_slug="europe", authors=writers[: 1 + i % 3], tags=tags[: 1 + i % 4])
        brief = f.brief()
        brief.tags.add(*tags[: 1 + i % 3])
        brief.save()
    return writers[0].slug


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


FEED_ROOTS = ["/feeds/", "/feeds/full/", "/feeds/section/europe/", "/feeds/kind/analysis/",
              "/feeds/tag/tag-0/", "/feeds/authors/{author}/", "/feeds/briefs/"]


@pytest.mark.postgres  # a feed's queries are what the database plans
def test_feed_queries_do_not_grow_with_items(client):
    counts: dict[int, dict[str, tuple[int, int]]] = {}
    for n in (2, 20):
        author = _newsroom(n)
        counts[n] = {}
        versioning.cache.clear()
        for root in FEED_ROOTS:
            for name in FILES:
                url = root.format(author=author) + name
                cold = _queries(client, url)
                counts[n][root + name] = (cold, _queries(client, url))
        for page in ArticlePage.objects.all():
            page.delete()
        Brief.objects.all().delete()
    assert counts[2] == counts[20]
    assert {warm for _, warm in counts[20].values()} == {1}  # the content token only


# --- discovery


def test_pages_point_to_their_feeds(client, newsroom):
    pages = {
        "/": ["/feeds/rss.xml", "/feeds/atom.xml", "/feeds/feed.json"],
        "/section/europe/": ["/feeds/section/europe/rss.xml", "/feeds/section/europe/atom.xml",
                             "/feeds/section/europe/feed.json", "/feeds/rss.xml"],
        "/briefs/": ["/feeds/briefs/rss.xml", "/feeds/briefs/atom.xml",
                     "/feeds/briefs/feed.json"],
        "/tag/energy/": ["/feeds/tag/energy/rss.xml"],
        "/authors/ines-duarte/": ["/feeds/authors/ines-duarte/atom.xml"],
        f"/articles/{newsroom['lead'].slug}/": ["/feeds/rss.xml"],
    }
    for page, feeds in pages.items():
        html = client.get(page).content.decode()
        for feed in feeds:
            kind = CONTENT_TYPES[feed.rsplit("/", 1)[1]].split(";")[0]
            assert f'<link rel="alternate" type="{kind}" title="' in html, page
            assert f'href="{feed}">' in html, (page, feed)
            assert client.get(feed).status_code == 200
    html = client.get("/section/europe/").content.decode()
    assert 'title="The Meridian Review: Europe (RSS)" href="/feeds/section/europe/rss.xml"' in html
    assert 'title="The Meridian Review: Briefs (Atom)"' in client.get("/briefs/").content.decode()


def test_feed_links_are_mapped_from_the_path_without_queries():
    with CaptureQueriesContext(connection) as ctx:
        tags = link_tags("/kind/opinion/", magazine_name="M & Co", page_title="Opinion")
        home = link_tags("/")
    assert len(ctx) == 0
    assert 'title="M &amp; Co: Opinion (JSON Feed)" href="/feeds/kind/opinion/feed.json"' in tags
    assert home.count("<link ") == 3 and 'href="/feeds/atom.xml"' in home
