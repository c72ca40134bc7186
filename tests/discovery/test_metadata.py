"""Search-engine and share metadata: JSON-LD read back from the page field by field, OpenGraph
and Twitter tags with absolute URLs, and JSON-LD that a headline cannot break out of."""

import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from django.conf import settings

from masthead.core import versioning
from masthead.editorial import services
from masthead.editorial.models import PublishedArticle
from tests import factories as f

pytestmark = pytest.mark.django_db

SITE = settings.SITE_URL


class _Head(HTMLParser):
    """Collects <meta>, <link rel=canonical> and every JSON-LD script body."""

    def __init__(self):
        super().__init__()
        self.meta: list[tuple[str, str]] = []
        self.canonical: list[str] = []
        self.json_ld: list[str] = []
        self.scripts = 0
        self._in_ld = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and "content" in a:
            self.meta.append((a.get("property") or a.get("name"), a["content"]))
        elif tag == "link" and a.get("rel") == "canonical":
            self.canonical.append(a["href"])
        elif tag == "script":
            self.scripts += 1
            self._in_ld = a.get("type") == "application/ld+json"
            if self._in_ld:
                self.json_ld.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data):
        if self._in_ld:
            self.json_ld[-1] += data


def _head(client, url):
    response = client.get(url)
    assert response.status_code == 200
    parser = _Head()
    parser.feed(response.content.decode())
    parser.objects = [json.loads(body) for body in parser.json_ld]
    return parser


def _one(objects, kind):
    found = [o for o in objects if o.get("@type") == kind]
    assert len(found) == 1, f"{len(found)} {kind} objects"
    assert found[0].get("@context") == "https://schema.org"
    return found[0]


def _values(head, key):
    return [content for name, content in head.meta if name == key]


@pytest.fixture
def logo():
    from masthead.core.models import MagazineSettings, SocialLink

    s = MagazineSettings.objects.create(name="The Test Review", tagline="Slow news, well argued.",
                                        logo=f.image("Logo", size=(800, 800)))
    SocialLink.objects.create(settings=s, network="Mastodon", url="https://example.social/@r")
    return s


@pytest.fixture
def story(logo):
    writer = f.author("Ines Duarte", slug="ines-duarte", title="Europe editor")
    page = f.article("Cables under the Baltic", section_slug="europe", kind_slug="analysis",
                     authors=[writer, f.author("Sam Okoro", slug="sam-okoro")],
                     tags=["energy", "security"], dek="Why the seabed is the new front line.",
                     social_headline="The Baltic's hidden front line",
                     top_image_alt="A cable ship off Gotland",
                     body=f.paragraphs(3))
    # An editor's "updated" date, written into the record as a publish writes it.
    type(page).objects.filter(pk=page.pk).update(
        display_updated_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    services.article_record_publish(page_id=page.pk)
    versioning.bump()
    return page


def test_news_article_field_by_field(client, story):
    head = _head(client, f"/articles/{story.slug}/")
    record = PublishedArticle.objects.get(page_id=story.pk)
    canonical = f"{SITE}/articles/{story.slug}/"
    article = _one(head.objects, "NewsArticle")
    assert article["headline"] == "Cables under the Baltic"
    assert article["description"] == "Why the seabed is the new front line."
    assert article["url"] == canonical
    assert article["mainEntityOfPage"] == {"@type": "WebPage", "@id": canonical}
    assert article["image"] == [SITE + record.image_url]
    assert article["image"][0].startswith(("http://", "https://"))
    assert article["datePublished"] == record.published_at.isoformat()
    assert article["dateModified"] == "2026-11-20T09:30:00+00:00"
    assert article["author"] == [
        {"@type": "Person", "name": "Ines Duarte", "url": f"{SITE}/authors/ines-duarte/"},
        {"@type": "Person", "name": "Sam Okoro", "url": f"{SITE}/authors/sam-okoro/"},
    ]
    publisher = article["publisher"]
    assert publisher["@type"] == "Organization" and publisher["name"] == "The Test Review"
    assert publisher["logo"]["@type"] == "ImageObject"
    assert re.match(rf"^{re.escape(SITE)}/media/images/.+\.png$", publisher["logo"]["url"])
    assert article["articleSection"] == "Europe"
    assert sorted(article["keywords"]) == ["energy", "security"]
    assert article["wordCount"] == record.word_count > 0


def test_breadcrumbs_home_section_article(client, story):
    head = _head(client, f"/articles/{story.slug}/")
    crumbs = _one(head.objects, "BreadcrumbList")["itemListElement"]
    assert [(c["position"], c["name"], c["item"]) for c in crumbs] == [
        (1, "Home", f"{SITE}/"),
        (2, "Europe", f"{SITE}/section/europe/"),
        (3, "Cables under the Baltic", f"{SITE}/articles/{story.slug}/"),
    ]


def test_opengraph_and_twitter_tags(client, story):
    head = _head(client, f"/articles/{story.slug}/")
    record = PublishedArticle.objects.get(page_id=story.pk)
    canonical = f"{SITE}/articles/{story.slug}/"
    image = SITE + record.image_url
    assert head.canonical == [canonical]
    meta = dict(head.meta)
    assert meta["description"] == "Why the seabed is the new front line."
    assert meta["og:type"] == "article"
    assert meta["og:title"] == "The Baltic's hidden front line"  # the social headline
    assert meta["og:description"] == "Why the seabed is the new front line."
    assert meta["og:url"] == canonical
    assert meta["og:site_name"] == "The Test Review"
    assert meta["og:image"] == image and meta["og:image:alt"] == "A cable ship off Gotland"
    assert meta["article:published_time"] == record.published_at.isoformat()
    assert meta["article:modified_time"] == "2026-11-20T09:30:00+00:00"
    assert meta["article:section"] == "Europe"
    assert sorted(_values(head, "article:tag")) == ["energy", "security"]
    assert _values(head, "article:author") == [f"{SITE}/authors/ines-duarte/",
                                                f"{SITE}/authors/sam-okoro/"]
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["twitter:title"] == "The Baltic's hidden front line"
    assert meta["twitter:description"] == "Why the seabed is the new front line."
    assert meta["twitter:image"] == image
    assert meta["twitter:image:alt"] == "A cable ship off Gotland"
    for name, content in head.meta:
        if name in ("og:url", "og:image", "twitter:image", "article:author"):
            assert content.startswith(("http://", "https://")), name
    assert _values(head, "description") == ["Why the seabed is the new front line."]


def test_a_headline_cannot_break_out_of_the_json_ld(client, logo):
    evil = 'Crisis </script><script>alert(1)</script> & <!-- "quotes"'
    page = f.article(evil, dek="A dek with </SCRIPT> in it & more")
    html = client.get(f"/articles/{page.slug}/").content.decode()
    head = _head(client, f"/articles/{page.slug}/")
    assert "<script>alert(1)" not in html
    assert head.scripts == len(head.json_ld) + 1  # the JSON-LD blocks and site.js only
    article = _one(head.objects, "NewsArticle")
    assert article["headline"] == evil
    assert article["description"] == "A dek with </SCRIPT> in it & more"
    for body in head.json_ld:
        assert "<" not in body and ">" not in body and "&" not in body
    assert dict(head.meta)["og:title"] == evil  # attribute-escaped, read back intact


def test_author_page_person(client, story):
    from masthead.editorial.models import Author, AuthorLink

    writer = Author.objects.get(slug="ines-duarte")
    writer.bio = "Ines covers the EU from Brussels."
    writer.photo = f.image("Portrait", size=(900, 900))
    writer.save()
    AuthorLink.objects.create(author=writer, label="Mastodon", url="https://example.social/@ines")
    head = _head(client, "/authors/ines-duarte/")
    person = _one(head.objects, "Person")
    assert person["name"] == "Ines Duarte"
    assert person["jobTitle"] == "Europe editor"
    assert person["description"] == "Ines covers the EU from Brussels."
    assert person["url"] == f"{SITE}/authors/ines-duarte/"
    assert person["image"].startswith(f"{SITE}/media/images/")
    assert person["sameAs"] == ["https://example.social/@ines"]
    meta = dict(head.meta)
    assert meta["og:type"] == "profile" and meta["og:image"] == person["image"]
    assert head.canonical == [f"{SITE}/authors/ines-duarte/"]
    crumbs = _one(head.objects, "BreadcrumbList")["itemListElement"]
    assert [c["name"] for c in crumbs] == ["Home", "Ines Duarte"]


def test_home_website_search_action_and_organization(client, story):
    head = _head(client, "/")
    website = _one(head.objects, "WebSite")
    assert website["url"] == f"{SITE}/" and website["name"] == "The Test Review"
    action = website["potentialAction"]
    assert action["@type"] == "SearchAction"
    assert action["target"]["urlTemplate"] == f"{SITE}/search/?q={{search_term_string}}"
    assert action["query-input"] == "required name=search_term_string"
    org = _one(head.objects, "Organization")
    assert org["name"] == "The Test Review" and org["url"] == f"{SITE}/"
    assert org["logo"]["url"].startswith(f"{SITE}/media/images/")
    assert org["sameAs"] == ["https://example.social/@r"]
    meta = dict(head.meta)
    assert meta["og:type"] == "website" and meta["description"] == "Slow news, well argued."
    assert head.canonical == [f"{SITE}/"]


@pytest.mark.parametrize("url, name, description", [
    ("/section/europe/", "Europe", None),
    ("/kind/analysis/", "Analysis", None),
    ("/tag/energy/", "Tagged: energy", "Stories tagged “energy”."),
])
def test_listings_have_canonical_description_og_and_breadcrumbs(client, story, url, name,
                                                                description):
    head = _head(client, url)
    assert head.canonical == [SITE + url]
    meta = dict(head.meta)
    assert meta["description"] and meta["og:description"] == meta["description"]
    if description:
        assert meta["description"] == description
    assert meta["og:title"] == name and meta["og:url"] == SITE + url
    assert meta["og:type"] == "website" and meta["og:site_name"] == "The Test Review"
    crumbs = _one(head.objects, "BreadcrumbList")["itemListElement"]
    assert [(c["name"], c["item"]) for c in crumbs] == [("Home", f"{SITE}/"), (name, SITE + url)]


def test_second_page_of_a_listing_is_its_own_canonical(client, settings, story):
    settings.LISTING_PAGE_SIZE = 1
    f.article(section_slug="europe")
    head = _head(client, "/section/europe/?page=2")
    assert head.canonical == [f"{SITE}/section/europe/?page=2"]


def test_without_a_logo_or_image_nothing_is_left_empty(client):
    page = f.article("No logo here")
    head = _head(client, f"/articles/{page.slug}/")
    article = _one(head.objects, "NewsArticle")
    assert "logo" not in article["publisher"]
    assert all(content for _, content in head.meta), head.meta


def test_metadata_and_share_links_cost_no_query_on_a_warm_article(
        client, story, django_assert_num_queries):
    url = f"/articles/{story.slug}/"
    client.get(url)
    with django_assert_num_queries(2):  # the content token, the article record
        html = client.get(url).content.decode()
    assert "application/ld+json" in html and 'class="share-bar"' in html
