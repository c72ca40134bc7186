"""Deep listing pages: the same items whether the offset is walked or the page's first item is
sought, and a publish (a new content version) never reuses a stale position."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from masthead.core import versioning
from masthead.editorial import selectors
from masthead.editorial.models import Section
from tests import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _ids(page):
    return [c["page_id"] for c in page.items]


def test_a_deep_page_is_the_same_walked_or_sought_and_moves_after_a_publish():
    for _ in range(9):
        f.article(section_slug="europe")
    europe = Section.objects.get(slug="europe").pk
    token = versioning.current()
    walked = selectors.section_page(europe, 3, 3)  # no token: always the offset
    first = selectors.section_page(europe, 3, 3, token=token)  # walks, remembers the position
    with CaptureQueriesContext(connection) as queries:
        sought = selectors.section_page(europe, 3, 3, token=token)
    assert _ids(walked) == _ids(first) == _ids(sought) and len(sought.items) == 3
    sql = queries.captured_queries[0]["sql"].upper().replace('"', "")
    assert "(PUBLISHED_AT, ARTICLE_ID) <=" in sql  # sought from the remembered position
    if "OFFSET $" not in sql:  # parameters shown inline (SQLite; no prepared statement)
        assert "OFFSET 0" in sql
    assert sought.has_next is False and selectors.section_page(europe, 2, 3).has_next is True

    newest = f.article(section_slug="europe")  # pushes every story one place down
    token = versioning.current()
    shifted = selectors.section_page(europe, 3, 3, token=token)
    assert _ids(shifted) == _ids(selectors.section_page(europe, 3, 3))
    assert _ids(shifted) != _ids(sought)
    assert newest.pk == selectors.section_page(europe, 1, 3, token=token).items[0]["page_id"]


@pytest.mark.parametrize("fetch", [
    lambda n, t: selectors.archive_page(n, 2, t),
    lambda n, t: selectors.kind_page(selectors.site_kinds(t)[0]["id"], n, 2, token=t),
])
def test_every_listing_pages_the_same_way(fetch):
    kind = selectors.site_kinds(versioning.current())[0]["slug"]
    for _ in range(5):
        f.article(kind_slug=kind)
    token = versioning.current()
    pages = [[c["page_id"] for c in fetch(n, None).items] for n in (1, 2, 3)]
    assert sum(pages, []) == sorted(sum(pages, []), reverse=True)  # newest first, no gaps
    for n in (2, 3):
        fetch(n, token)
        assert [c["page_id"] for c in fetch(n, token).items] == pages[n - 1]
