"""A change purges exactly the cache keys of the pages that show it (issue 5, target 3).

Real HTTP: the purges go to a loopback server answering like the Varnish VCL; the tasks run
at once (TASK_BACKEND=immediate) when the test's transaction callbacks run.
"""

import pytest
from wagtail.models import Page

from masthead.core import versioning
from masthead.core.models import MagazineSettings
from masthead.edge import services
from masthead.editorial.models import Author, Section
from tests import factories as f
from tests.edge.purge_recorder import PurgeRecorder

# Not `postgres`: which keys a change purges is plain ORM and commit callbacks, alike on both.
pytestmark = pytest.mark.django_db


@pytest.fixture
def node(settings):
    with PurgeRecorder() as recorder:
        settings.VARNISH_URLS = [recorder.url]
        yield recorder


@pytest.fixture
def newsroom():
    """Twelve stories: the first two are no longer in LATEST (ten newest)."""
    writer = f.author("Ada Example")
    old = f.article("An old story", section_slug="europe", authors=[writer], tags=["energy"])
    older_africa = f.article("An old Africa story", section_slug="africa")
    for _ in range(10):
        f.article(section_slug="global")
    services._pending().clear()  # what setting up published, without a commit here
    return {"old": old, "africa": older_africa, "writer": writer}


def _publish(page, **changes):
    page = page.specific.__class__.objects.get(pk=page.pk)
    for name, value in changes.items():
        setattr(page, name, value)
    page.save_revision().publish()
    return page


def test_editing_an_old_story_purges_its_pages_not_every_page(
        node, newsroom, django_capture_on_commit_callbacks):
    old = newsroom["old"]
    with django_capture_on_commit_callbacks(execute=True):
        _publish(old, title="An old story, corrected")
    keys = node.keys()
    assert f"article-{old.pk}" in keys  # its page and every card of it
    assert "sitemap" in keys  # lastmod
    # Not in LATEST and not moved: LATEST, home, archive and listings stay cached.
    assert not keys & {"latest", "home", "archive", "site", "briefs"}
    assert not any(k.startswith(("section-", "tag-", "kind-")) for k in keys)
    assert all(method == "PURGE" and path == "/" for method, path, _ in node.requests)


def test_a_new_story_purges_latest_and_the_listings_it_enters(
        node, newsroom, django_capture_on_commit_callbacks):
    europe, writer = Section.objects.get(slug="europe"), newsroom["writer"]
    with django_capture_on_commit_callbacks(execute=True):
        page = f.article("Breaking", section_slug="europe", authors=[writer], tags=["energy"],
                         other_sections=["africa"])
    keys = node.keys()
    africa = Section.objects.get(slug="africa")
    assert {f"article-{page.pk}", "latest", "home", "archive", f"section-{europe.pk}",
            f"section-{africa.pk}", f"kind-{page.kind_id}", f"author-{writer.pk}"} <= keys
    assert any(k.startswith("tag-") for k in keys)
    assert "site" not in keys


def test_moving_a_story_purges_the_section_it_left_and_the_one_it_joined(
        node, newsroom, django_capture_on_commit_callbacks):
    old, africa = newsroom["old"], Section.objects.get(slug="africa")
    europe = Section.objects.get(slug="europe")
    with django_capture_on_commit_callbacks(execute=True):
        _publish(old, section=africa)
    assert {f"section-{europe.pk}", f"section-{africa.pk}", f"article-{old.pk}"} <= node.keys()
    assert "latest" not in node.keys()


def test_unpublishing_and_deleting_purge_where_the_story_was(
        node, newsroom, django_capture_on_commit_callbacks):
    old = newsroom["old"]
    with django_capture_on_commit_callbacks(execute=True):
        Page.objects.get(pk=old.pk).unpublish()
    assert {f"article-{old.pk}", "archive", f"author-{newsroom['writer'].pk}"} <= node.keys()
    node.clear()
    newest = f.article("Newest")
    node.clear()
    with django_capture_on_commit_callbacks(execute=True):
        Page.objects.get(pk=newest.pk).delete()
    assert {f"article-{newest.pk}", "latest", "home"} <= node.keys()


def test_briefs_authors_sections_and_settings_purge_their_keys(
        node, newsroom, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        item = f.brief("A new brief")
    assert {"briefs", f"brief-{item.pk}"} <= node.keys()
    node.clear()
    writer = newsroom["writer"]
    with django_capture_on_commit_callbacks(execute=True):
        Author.objects.get(pk=writer.pk).save()
    # The author's page at once; the worker then re-renders the bylines of the stories.
    assert {f"author-{writer.pk}", f"article-{newsroom['old'].pk}"} <= node.keys()
    node.clear()
    with django_capture_on_commit_callbacks(execute=True):
        europe = Section.objects.get(slug="europe")
        europe.name = "Europe and Eurafrica"
        europe.save()
    assert node.keys() == {"site"}
    node.clear()
    with django_capture_on_commit_callbacks(execute=True):
        s = MagazineSettings.objects.first() or MagazineSettings()
        s.name = "The Renamed Review"
        s.save()
    assert "site" in node.keys()


def test_every_change_also_changes_the_content_version(newsroom, settings):
    settings.VARNISH_URLS = []
    before = versioning.current()
    _publish(newsroom["old"], title="Changed")
    assert versioning.current() != before


def test_keys_go_out_only_after_the_commit(node, newsroom, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _publish(newsroom["old"], title="Not yet")
    assert node.requests == []  # nothing left before the commit: a proxy would refetch old HTML
    for callback in callbacks:
        callback()
    assert f"article-{newsroom['old'].pk}" in node.keys()


def test_without_proxies_nothing_is_queued(newsroom, settings, django_capture_on_commit_callbacks):
    settings.VARNISH_URLS = []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _publish(newsroom["old"], title="No proxy")
    from masthead.edge.services import _flush

    assert _flush not in callbacks


def test_a_node_that_refuses_makes_the_task_fail_after_retries(settings):
    with PurgeRecorder(status=403) as refusing:
        settings.VARNISH_URLS = [refusing.url]
        with pytest.raises(services.PurgeFailed, match="HTTP 403"):
            services.purge(["article-1"], attempts=2)
        assert len(refusing.requests) == 2


def test_an_unreachable_node_is_retried_then_reported(settings):
    from masthead.core.localservices import free_port

    settings.VARNISH_URLS = [f"http://127.0.0.1:{free_port()}"]
    with pytest.raises(services.PurgeFailed, match="ConnectionRefused"):
        services.purge(["article-1"], attempts=2, timeout=0.5)


def test_many_keys_are_sent_in_several_requests(node):
    keys = [f"article-{i}" for i in range(450)]
    services.purge(keys)
    assert len(node.requests) == 3 and node.keys() == set(keys)
