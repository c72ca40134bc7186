from datetime import timedelta

import pytest

from masthead.core import versioning
from masthead.editorial import selectors
from masthead.editorial.models import PublishedArticle
from tests import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _record(page):
    return selectors.article_by_slug(page.slug)


def test_related_is_same_section_or_shared_tag_newest_first_never_itself():
    me = f.article(section_slug="europe", tags=["energy"])
    same_section = f.article(section_slug="europe", published_at=me.first_published_at - timedelta(days=2))
    shared_tag = f.article(section_slug="africa", tags=["energy"],
                           published_at=me.first_published_at - timedelta(days=1))
    f.article(section_slug="africa", tags=["other"])  # unrelated
    related = selectors.related(versioning.current(), _record(me))
    assert [c["page_id"] for c in related] == [shared_tag.pk, same_section.pk]


def test_related_holds_six_at_most():
    me = f.article(section_slug="global")
    for _ in range(8):
        f.article(section_slug="global")
    related = selectors.related(versioning.current(), _record(me))
    assert len(related) == 6
    assert me.pk not in [c["page_id"] for c in related]
    dates = [c["published_at"] for c in related]
    assert dates == sorted(dates, reverse=True)


def test_latest_sees_a_new_publish_at_once():
    f.article("Older")
    token = versioning.current()
    assert selectors.latest(token)[0]["headline"] == "Older"
    f.article("Newer")
    token2 = versioning.current()
    assert token2 != token
    assert selectors.latest(token2)[0]["headline"] == "Newer"


def test_section_pages_include_secondary_sections():
    a = f.article(section_slug="latin-america", other_sections=["global"])
    glob = f.section("global")
    page = selectors.section_page(glob.pk, 1, 20)
    assert [c["page_id"] for c in page.items] == [a.pk]


def test_listing_pages_and_has_next():
    for _ in range(5):
        f.article(section_slug="africa")
    sec = f.section("africa")
    first = selectors.section_page(sec.pk, 1, 2)
    third = selectors.section_page(sec.pk, 3, 2)
    assert first.has_next and len(first.items) == 2
    assert not third.has_next and len(third.items) == 1


def test_article_by_slug_and_article_record_match_the_orm():
    a = f.article(tags=["energy"], display_updated_at=f.BASE_TIME)
    raw = selectors.article_by_slug(a.slug)
    orm = PublishedArticle.objects.filter(slug=a.slug).values(*selectors.PAGE_FIELDS).get()
    assert raw == orm
    assert selectors.article_by_slug("no-such-slug") is None
    whole = PublishedArticle.objects.filter(slug=a.slug).values(*selectors.ARTICLE_FIELDS).get()
    assert selectors.article_record(a.pk) == whole
    assert whole["updated_at"] == f.BASE_TIME
    assert selectors.article_record(a.pk + 1000) is None
