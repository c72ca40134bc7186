"""Migration 0006: records stored before tags carried ids get them."""

import importlib

import pytest
from taggit.models import Tag

from masthead.core import versioning
from masthead.editorial.models import PublishedArticle
from tests import factories as f

pytestmark = pytest.mark.django_db

backfill = importlib.import_module(
    "masthead.editorial.migrations.0006_published_tags_carry_ids").backfill


def test_old_records_get_their_tag_ids_and_new_ones_are_left_alone():
    old = f.article("An old record", tags=["ports", "grain"])
    new = f.article("A new record", tags=["ports"])
    PublishedArticle.objects.filter(page_id=old.pk).update(tags=[
        {"name": "ports", "slug": "ports"}, {"name": "grain", "slug": "grain"},
        {"name": "gone", "slug": "a-tag-deleted-since"}])
    before_new = PublishedArticle.objects.get(page_id=new.pk).tags

    assert backfill(PublishedArticle, Tag, batch=1) == 1

    ids = dict(Tag.objects.values_list("slug", "id"))
    assert PublishedArticle.objects.get(page_id=old.pk).tags == [
        {"id": ids["ports"], "name": "ports", "slug": "ports"},
        {"id": ids["grain"], "name": "grain", "slug": "grain"},
        {"name": "gone", "slug": "a-tag-deleted-since"}]  # nothing to point at: kept as it was
    assert PublishedArticle.objects.get(page_id=new.pk).tags == before_new
    assert backfill(PublishedArticle, Tag) == 0  # done once; the deleted tag has no id to get


def test_an_old_record_and_its_backfilled_self_show_the_same_related_stories(client):
    f.article("A neighbour", section_slug="africa", tags=["grain"])
    story = f.article("The story", section_slug="europe", tags=["grain"])
    url = f"/articles/{story.slug}/"
    fresh = client.get(url).content
    PublishedArticle.objects.filter(page_id=story.pk).update(
        tags=[{"name": "grain", "slug": "grain"}])
    versioning.cache.clear()
    assert b"A neighbour" in client.get(url).content
    backfill(PublishedArticle, Tag)
    versioning.cache.clear()
    assert client.get(url).content == fresh
