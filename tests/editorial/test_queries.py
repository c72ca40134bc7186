"""Query counts are pinned: they must not grow with related items, authors or tags shown."""

import pytest

from masthead.core import versioning
from tests import factories as f

pytestmark = pytest.mark.django_db


def _newsroom(n: int):
    """n related stories, n authors and n tags around one article, plus n briefs."""
    writers = [f.author() for _ in range(n)]
    tags = [f"tag-{i}" for i in range(n)]
    for i in range(n):
        f.article(section_slug="europe", authors=writers[: 1 + i % 3], tags=tags[: 1 + i % 4])
        f.brief()
    return f.article("The main story", section_slug="europe", authors=writers, tags=tags)


def _count(client, url, django_assert_max_num_queries, warm: bool):
    if not warm:
        versioning.cache.clear()
    else:
        assert client.get(url).status_code == 200
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
@pytest.mark.parametrize(
    "url",
    [pytest.param("/articles/{slug}/", marks=pytest.mark.postgres), "/", "/section/europe/", "/authors/{author}/", "/tag/tag-0/",
     "/kind/analysis/", "/briefs/", "/articles/"],
)
def test_query_count_does_not_grow(client, url, warm, django_assert_max_num_queries):
    counts = []
    for n in (2, 20):
        article = _newsroom(n)
        author = article.authors.first().author.slug
        counts.append(_count(client, url.format(slug=article.slug, author=author),
                             django_assert_max_num_queries, warm))
        from masthead.briefs.models import Brief
        from masthead.editorial.models import ArticlePage

        for page in ArticlePage.objects.all():
            page.delete()
        Brief.objects.all().delete()
    assert counts[0] == counts[1], f"{url}: {counts[0]} queries with 2 items, {counts[1]} with 20"


@pytest.mark.postgres
def test_warm_article_page_is_two_queries(client, django_assert_num_queries):
    article = _newsroom(5)
    url = f"/articles/{article.slug}/"
    client.get(url)
    with django_assert_num_queries(2):  # the content token, the article record
        client.get(url)


@pytest.mark.postgres
def test_cold_article_page_is_bounded(client, django_assert_max_num_queries):
    article = _newsroom(5)
    versioning.cache.clear()
    with django_assert_max_num_queries(10):
        client.get(f"/articles/{article.slug}/")
