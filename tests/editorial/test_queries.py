"""Query counts are pinned: they must not grow with related items, authors or tags shown."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from masthead.briefs.models import Brief
from masthead.core import versioning
from masthead.editorial.models import ArticlePage
from tests import factories as f

# postgres: a page's queries are what the database plans; PostgreSQL counts them again.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

URLS = ["/articles/{slug}/", "/", "/section/europe/", "/authors/{author}/", "/tag/tag-0/",
        "/kind/analysis/", "/briefs/", "/articles/"]


def _newsroom(n: int):
    """n related stories, n authors and n tags around one article, plus n briefs."""
    writers = [f.author() for _ in range(n)]
    tags = [f"tag-{i}" for i in range(n)]
    for i in range(n):
        f.article(section_slug="europe", authors=writers[: 1 + i % 3], tags=tags[: 1 + i % 4])
        f.brief()
    return f.article("The main story", section_slug="europe", authors=writers, tags=tags)


def _count(client, url: str, warm: bool) -> int:
    if not warm:
        versioning.cache.clear()
    else:
        assert client.get(url).status_code == 200, url
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200, url
    return len(ctx)


def test_query_count_does_not_grow(client):
    """Every reader page, warm and cold, costs as many queries with 20 items as with 2.

    All pages are counted on the same two newsrooms (building them is what takes the time), in
    the same order each time; a cold count starts from an empty process cache."""
    counts = {}
    for n in (2, 20):
        article = _newsroom(n)
        author = article.authors.first().author.slug
        counts[n] = {(url, state): _count(client, url.format(slug=article.slug, author=author),
                                          warm=state == "warm")
                     for url in URLS for state in ("warm", "cold")}
        for page in ArticlePage.objects.all():
            page.delete()
        Brief.objects.all().delete()
    grown = {key: (counts[2][key], counts[20][key]) for key in counts[2]
             if counts[2][key] != counts[20][key]}
    assert not grown, f"(url, state): (queries with 2 items, with 20): {grown}"
    assert counts[2].keys() == counts[20].keys() == {(u, s) for u in URLS for s in ("warm", "cold")}


def test_warm_article_page_is_two_queries(client, django_assert_num_queries):
    article = _newsroom(5)
    url = f"/articles/{article.slug}/"
    client.get(url)
    with django_assert_num_queries(2):  # the content token, the article record
        client.get(url)


def test_cold_article_page_is_bounded(client, django_assert_max_num_queries):
    article = _newsroom(5)
    versioning.cache.clear()
    with django_assert_max_num_queries(10):
        client.get(f"/articles/{article.slug}/")


def test_an_article_nobody_asked_for_yet_is_at_most_four_queries(client,
                                                                 django_assert_max_num_queries):
    """The cache-miss page of issue 5: the process is warm (site data, LATEST), but nothing of
    this article is held: the content token, its record, its related ids, their cards."""
    article = _newsroom(8)
    other = f.article("Another story", section_slug="africa", tags=["elsewhere"])
    client.get(f"/articles/{other.slug}/")
    with django_assert_max_num_queries(4):
        response = client.get(f"/articles/{article.slug}/")
    assert response.status_code == 200 and b"More stories" in response.content
