"""The reader pages' hottest queries are prepared on PostgreSQL (masthead/core/sql.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from masthead.core.sql import prepared_cursor
from masthead.editorial import selectors
from tests import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_the_article_query_is_prepared_after_a_few_runs_and_still_counted():
    story = f.article("Prepared story")
    with CaptureQueriesContext(connection) as queries:
        for _ in range(8):
            assert selectors.article_by_slug(story.slug)["headline"] == "Prepared story"
    assert len(queries) == 8  # counted like any other query
    # ... and logged with its statement, prepared or not (Django logged None once prepared).
    assert all(q["sql"] and "WHERE slug = " in q["sql"] for q in queries), queries
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("WHERE slug = $1" in statement for statement in prepared), prepared


def test_errors_are_translated_like_django_s_own(settings):
    from django.db import DatabaseError

    with pytest.raises(DatabaseError), prepared_cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM core_contentversion")


def test_other_queries_are_never_prepared():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server-side prepared statements")
    f.article("Plain ORM story")
    from masthead.editorial.models import ArticlePage

    for _ in range(8):
        list(ArticlePage.objects.filter(title="Plain ORM story"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert not any("wagtailcore_page" in statement for statement in prepared), prepared
