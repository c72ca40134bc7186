"""Whatever a reader sees changes on the next request after an edit, in every process."""

import pytest

from masthead.core.models import MagazineSettings
from masthead.editorial.models import PublishedArticle, Section
from tests import factories as f

# Not `postgres`: one process, and the content version is one row read and written the same way
# on both databases (tests/edge/test_page_cache.py pins its query on PostgreSQL).
pytestmark = pytest.mark.django_db


def test_magazine_settings_show_at_once(client):
    a = f.article()
    client.get(f"/articles/{a.slug}/")  # warm the process caches
    s = MagazineSettings.objects.first() or MagazineSettings()
    s.name = "The Renamed Review"
    s.save()
    assert "The Renamed Review" in client.get(f"/articles/{a.slug}/").content.decode()


def test_section_rename_shows_at_once(client):
    a = f.article(section_slug="africa")
    client.get(f"/articles/{a.slug}/")
    sec = Section.objects.get(slug="africa")
    sec.name = "Africa and the Sahel"
    sec.save()
    assert "Africa and the Sahel" in client.get(f"/articles/{a.slug}/").content.decode()


def test_image_change_rerenders_articles_using_it(client, django_capture_on_commit_callbacks):
    img = f.image("Harbour")
    a = f.article(top_image=img)
    before = PublishedArticle.objects.get(page=a)
    img.focal_point_x, img.focal_point_y, img.focal_point_width, img.focal_point_height = 10, 10, 50, 50
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        img.save()
    assert callbacks, "an image edit queues a re-render of the articles that show it"
    after = PublishedArticle.objects.get(page=a)
    assert after.rendered_at > before.rendered_at
    assert after.image_html == before.image_html  # same widths and files, rendered again


def test_a_brief_published_appears_in_the_sidebar(client):
    a = f.article()
    client.get(f"/articles/{a.slug}/")
    f.brief("Fresh short take")
    assert "Fresh short take" in client.get(f"/articles/{a.slug}/").content.decode()
