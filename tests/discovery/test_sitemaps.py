"""Sitemaps and robots.txt: valid XML with the right namespaces, paging, lastmod, the news
window, and reads that never touch article bodies whatever the number of articles."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from masthead.core import versioning
from masthead.editorial.models import PublishedArticle
from tests import factories as f
from tests.sharedrows import shared_rows

# postgres (on the tests that need it): the sitemaps read raw SQL (a window function, dates that
# SQLite returns as text and PostgreSQL as datetimes), page by keyset and pin their queries.
pytestmark = pytest.mark.django_db

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def _xml(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=300, s-maxage=86400"
    assert set(response["xkey"].split()) >= {"sitemap", "site"}
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ElementTree.fromstring(response.content)


def _locs(root, tag="url"):
    return [e.findtext(f"{SM}loc") for e in root.iter(f"{SM}{tag}")]


def _set_dates(page, published_at, updated_at=None):
    PublishedArticle.objects.filter(page_id=page.pk).update(
        published_at=published_at, updated_at=updated_at)
    versioning.bump()


@pytest.mark.postgres
class TestSevenArticles:
    """Seven articles in sitemaps of three, made once: tests that change them are rolled back."""

    @pytest.fixture(scope="class")
    @classmethod
    def shared(cls, django_db_setup, django_db_blocker, tmp_path_factory):
        with shared_rows(django_db_blocker, tmp_path_factory) as shared:
            yield shared.keep([f.article(published_at=f.BASE_TIME + timedelta(days=i))
                               for i in range(7)])

    @pytest.fixture
    def seven(self, shared, settings):
        settings.SITEMAP_PAGE_SIZE = 3
        return shared.kept()

    def test_index_lists_paged_article_sitemaps_and_the_pages_sitemap(self, client, seven):
        root = _xml(client, "/sitemap.xml")
        assert root.tag == f"{SM}sitemapindex"
        site = settings.SITE_URL
        assert _locs(root, "sitemap") == [
            f"{site}/sitemaps/articles-1.xml", f"{site}/sitemaps/articles-2.xml",
            f"{site}/sitemaps/articles-3.xml", f"{site}/sitemaps/pages.xml",
        ]
        for child in _locs(root, "sitemap"):
            _xml(client, child.removeprefix(site))

    def test_article_sitemaps_page_newest_first_with_lastmod(self, client, seven):
        newest_first = list(reversed(seven))
        seen = []
        for n, expected in ((1, 3), (2, 3), (3, 1)):
            root = _xml(client, f"/sitemaps/articles-{n}.xml")
            assert root.tag == f"{SM}urlset"
            urls = root.findall(f"{SM}url")
            assert len(urls) == expected
            seen += [u.findtext(f"{SM}loc") for u in urls]
            for u in urls:
                assert u.findtext(f"{SM}lastmod").endswith("+00:00")
        assert seen == [f"{settings.SITE_URL}/articles/{a.slug}/" for a in newest_first]
        first = _xml(client, "/sitemaps/articles-1.xml").find(f"{SM}url")
        record = PublishedArticle.objects.get(page_id=newest_first[0].pk)
        assert first.findtext(f"{SM}lastmod") == record.published_at.strftime("%Y-%m-%dT%H:%M:%S+00:00")

    @pytest.mark.parametrize("url", ["/sitemaps/articles-4.xml", "/sitemaps/articles-0.xml",
                                     "/sitemaps/articles-01.xml", "/sitemaps/articles-x.xml",
                                     "/sitemaps/articles-99999999999.xml"])
    def test_pages_beyond_the_last_are_404(self, client, seven, url):
        assert client.get(url).status_code == 404

    def test_updated_at_moves_the_lastmod_of_the_url_and_of_its_sitemap(self, client, seven):
        oldest = seven[0]  # on the last page
        later = timezone.now().replace(microsecond=0)
        record = PublishedArticle.objects.get(page_id=oldest.pk)
        _set_dates(oldest, record.published_at, later)
        stamp = later.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        page3 = _xml(client, "/sitemaps/articles-3.xml")
        assert page3.find(f"{SM}url").findtext(f"{SM}lastmod") == stamp
        index = {s.findtext(f"{SM}loc").rsplit("/", 1)[1]: s.findtext(f"{SM}lastmod")
                 for s in _xml(client, "/sitemap.xml").iter(f"{SM}sitemap")}
        assert index["articles-3.xml"] == stamp
        newest = PublishedArticle.objects.get(page_id=seven[-1].pk).published_at
        assert index["articles-1.xml"] == newest.strftime("%Y-%m-%dT%H:%M:%S+00:00")

    def test_warm_sitemaps_cost_one_query(self, client, seven, django_assert_num_queries):
        for url in ("/sitemap.xml", "/sitemaps/articles-2.xml", "/sitemaps/pages.xml"):
            client.get(url)
            with django_assert_num_queries(1):  # the content token
                client.get(url)

    def test_a_publish_refreshes_the_sitemaps(self, client, seven):
        assert len(_locs(_xml(client, "/sitemaps/articles-3.xml"))) == 1
        f.article(published_at=f.BASE_TIME - timedelta(days=1))
        assert len(_locs(_xml(client, "/sitemaps/articles-3.xml"))) == 2


@pytest.mark.postgres
def test_no_articles_no_article_sitemap(client):
    root = _xml(client, "/sitemap.xml")
    assert _locs(root, "sitemap") == [f"{settings.SITE_URL}/sitemaps/pages.xml"]
    assert client.get("/sitemaps/articles-1.xml").status_code == 404


@pytest.mark.postgres
def test_pages_sitemap_lists_the_other_reader_pages(client):
    writer = f.author(slug="ines-duarte")
    article = f.article(section_slug="africa", kind_slug="opinion", authors=[writer],
                        tags=["water"])
    f.author(slug="never-published")
    f.brief()
    from masthead.editorial.models import HomePage, StandardPage

    HomePage.objects.get().add_child(instance=StandardPage(title="About us", slug="about"))
    root = _xml(client, "/sitemaps/pages.xml")
    site = settings.SITE_URL
    locs = _locs(root)
    for path in ("/", "/articles/", "/section/africa/", "/section/europe/", "/kind/opinion/",
                 "/briefs/", "/about/", "/authors/ines-duarte/", "/tag/water/"):
        assert site + path in locs, path
    assert site + "/authors/never-published/" not in locs
    assert len(locs) == len(set(locs))
    lastmods = {u.findtext(f"{SM}loc"): u.findtext(f"{SM}lastmod") for u in root.iter(f"{SM}url")}
    record = PublishedArticle.objects.get(page_id=article.pk)
    assert lastmods[site + "/section/africa/"] == record.published_at.strftime(
        "%Y-%m-%dT%H:%M:%S+00:00")
    assert lastmods[site + "/authors/ines-duarte/"] == lastmods[site + "/section/africa/"]


def test_private_and_draft_pages_are_left_out(client):
    from wagtail.models import PageViewRestriction

    from masthead.editorial.models import HomePage, StandardPage

    home = HomePage.objects.get()
    secret = home.add_child(instance=StandardPage(title="Staff only", slug="staff"))
    PageViewRestriction.objects.create(page=secret, restriction_type="password", password="x")
    home.add_child(instance=StandardPage(title="Draft", slug="draft", live=False))
    locs = _locs(_xml(client, "/sitemaps/pages.xml"))
    assert not any(loc.endswith(("/staff/", "/draft/")) for loc in locs)


@pytest.mark.postgres
def test_news_sitemap_holds_only_the_last_48_hours(client):
    now = timezone.now()
    fresh = f.article("Fresh & new <story>")
    day_old = f.article("A day old")
    stale = f.article("Three days old")
    _set_dates(fresh, now - timedelta(hours=1))
    _set_dates(day_old, now - timedelta(hours=30))
    _set_dates(stale, now - timedelta(hours=72))
    root = _xml(client, "/sitemaps/news.xml")
    assert root.tag == f"{SM}urlset"
    urls = root.findall(f"{SM}url")
    assert [u.findtext(f"{SM}loc") for u in urls] == [
        f"{settings.SITE_URL}/articles/{fresh.slug}/", f"{settings.SITE_URL}/articles/{day_old.slug}/"]
    news = urls[0].find(f"{NEWS}news")
    assert news.find(f"{NEWS}publication").findtext(f"{NEWS}name") == "The Meridian Review"
    assert news.find(f"{NEWS}publication").findtext(f"{NEWS}language") == "en"
    assert news.findtext(f"{NEWS}title") == "Fresh & new <story>"
    assert news.findtext(f"{NEWS}publication_date").startswith(
        (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:"))


def test_robots_txt_points_at_the_sitemaps(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert f"Sitemap: {settings.SITE_URL}/sitemap.xml" in lines
    assert f"Sitemap: {settings.SITE_URL}/sitemaps/news.xml" in lines
    assert lines[0] == "User-agent: *"
    for path in ("/admin/", "/search/", "/share/"):
        assert f"Disallow: {path}" in lines
    assert "Disallow: /" not in lines  # the site itself stays open


def _queries(client, url):
    versioning.cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


SITEMAPS = ["/sitemap.xml", "/sitemaps/articles-1.xml", "/sitemaps/articles-2.xml",
            "/sitemaps/pages.xml", "/sitemaps/news.xml"]


@pytest.mark.postgres
def test_sitemaps_never_read_bodies_and_queries_do_not_grow(client, settings):
    """Every sitemap, counted on the same two sets of articles (making them is what costs)."""
    settings.SITEMAP_PAGE_SIZE = 2
    counts = {}
    for n in (4, 12):
        while PublishedArticle.objects.count() < n:
            f.article(tags=["energy"], published_at=timezone.now() - timedelta(hours=1))
        counts[n] = {}
        for url in SITEMAPS:
            sqls = _queries(client, url)
            for sql in sqls:
                assert "body_html" not in sql and '"body"' not in sql, (url, sql)
                assert "editorial_articlepage" not in sql, (url, sql)
            counts[n][url] = len(sqls)
    grown = {url: (counts[4][url], counts[12][url]) for url in SITEMAPS
             if counts[4][url] != counts[12][url]}
    assert not grown, f"url: (queries with 4 articles, with 12): {grown}"
