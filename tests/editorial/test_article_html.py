"""An article's <article> element and metadata: stored with its record, pasted while current,
rendered live whenever what they were made from changed, and refreshed afterwards."""

import pytest
from django.core.management import call_command

from masthead.core import versioning
from masthead.core.models import MagazineSettings
from masthead.editorial import article_html, services
from masthead.editorial.models import PublishedArticle, Section
from tests import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def story():
    writer = f.author("Ines Duarte", title="Europe editor", bio="Ines covers the EU.")
    f.article(section_slug="europe")
    return f.article("Cables under the Baltic", section_slug="europe", kind_slug="analysis",
                     authors=[writer], tags=["energy"], top_image_credit="Photo: Jane Roe")


def _record(page) -> PublishedArticle:
    return PublishedArticle.objects.get(page_id=page.pk)


def _page(client, page) -> str:
    response = client.get(f"/articles/{page.slug}/")
    assert response.status_code == 200
    return response.content.decode()


def test_publishing_stores_the_fragments_with_a_current_key(story):
    record = _record(story)
    assert '<h1 id="headline" class="article__headline">Cables under the Baltic</h1>' \
        in record.article_html
    assert "Top image credit: Photo: Jane Roe" in record.article_html
    assert 'class="share-bar"' in record.article_html
    assert '"@type":"NewsArticle"' in record.head_html
    site, sections, kinds = article_html.site_values()
    assert record.html_key == article_html.key(site, sections[record.section_id],
                                               kinds[record.kind_id])


def test_a_reader_gets_the_stored_fragments_pasted(client, story):
    """Proof that nothing is rendered: a marker put in the record is what the page shows."""
    PublishedArticle.objects.filter(page_id=story.pk).update(
        article_html="<article>stored article</article>", head_html='<meta name="stored">')
    versioning.bump()
    html = _page(client, story)
    assert "<article>stored article</article>" in html and '<meta name="stored">' in html


def test_stored_and_live_pages_are_byte_for_byte_the_same(client, story):
    stored = _page(client, story)
    PublishedArticle.objects.filter(page_id=story.pk).update(html_key="")  # as if never stored
    versioning.bump()
    assert _page(client, story) == stored


def test_a_renamed_section_shows_at_once_and_the_records_follow(
        client, story, django_capture_on_commit_callbacks):
    _page(client, story)
    section = Section.objects.get(slug="europe")
    section.name = "Europe and Eurasia"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        section.save()  # after commit: a new content version, and the refresh queued
    assert any("refresh_article_html" in repr(c) for c in callbacks), callbacks
    html = _page(client, story)
    label = html[html.index('<article class="article"'):html.index('<h1 ')]
    assert ">Europe and Eurasia</a>" in label
    assert '"articleSection":"Europe and Eurasia"' in html
    assert "Europe and Eurasia" in _record(story).article_html
    assert services.article_html_refresh() == 0  # nothing left to do


def test_a_stale_key_is_rendered_live_until_refreshed(client, story):
    """A record whose fragments predate a change (here: the site's name) is never shown stale."""
    settings = MagazineSettings.objects.first() or MagazineSettings()
    old_key = _record(story).html_key
    # Changed without signals (a bulk edit, a restored backup): the key no longer matches.
    if settings.pk:
        MagazineSettings.objects.filter(pk=settings.pk).update(name="The Northern Review")
    else:
        MagazineSettings.objects.bulk_create([MagazineSettings(name="The Northern Review")])
    versioning.bump()
    html = _page(client, story)
    assert '"og:site_name" content="The Northern Review"' in html
    assert _record(story).html_key == old_key  # still the old fragments in the record
    assert services.article_html_refresh() >= 1
    record = _record(story)
    assert record.html_key != old_key and "The Northern Review" in record.head_html


def test_a_template_change_changes_the_key(story, monkeypatch):
    site, sections, kinds = article_html.site_values()
    section, kind = sections[story.section_id], kinds[story.kind_id]
    before = article_html.key(site, section, kind)
    monkeypatch.setattr(article_html, "_templates_digest", lambda: "edited in a deploy")
    assert article_html.key(site, section, kind) != before


def test_the_refresh_leaves_a_record_published_meanwhile_as_its_publish_wrote_it(story,
                                                                                 monkeypatch):
    PublishedArticle.objects.filter(page_id=story.pk).update(html_key="")
    real = article_html.stored_fields

    def publish_meanwhile(record, values=None):
        fields = real(record, values)
        fields["article_html"] = "rendered from the record as it was read"
        monkeypatch.setattr(article_html, "stored_fields", real)
        services.article_record_publish(page_id=story.pk)  # a new publish lands first
        return fields

    monkeypatch.setattr(article_html, "stored_fields", publish_meanwhile)
    assert services.article_html_refresh() == 0
    assert "Cables under the Baltic" in _record(story).article_html


def test_the_command_renders_what_is_missing_and_is_safe_twice(story, capsys):
    PublishedArticle.objects.update(article_html="", head_html="", html_key="")
    call_command("refresh_article_html")
    assert "2 articles' fragments rendered again." in capsys.readouterr().out
    assert not PublishedArticle.objects.filter(html_key="").exists()
    call_command("refresh_article_html")
    assert "0 articles' fragments rendered again." in capsys.readouterr().out

