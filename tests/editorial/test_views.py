"""Reader pages: every element in order, working links, and 404s for bad input."""

import re

import pytest

from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def story():
    writer = f.author("Ines Duarte", title="Europe editor", bio="Ines covers the EU.")
    for _ in range(3):
        f.article(section_slug="europe", body=f.paragraphs(6, "Related"))
    f.brief("A short brief")
    return f.article("The reference story", section_slug="europe", kind_slug="opinion",
                     authors=[writer], tags=["energy", "security"],
                     top_image_credit="Photo: Jane Roe / Agency")


def test_article_page_has_every_element_in_order(client, story):
    html = client.get(f"/articles/{story.slug}/").content.decode()
    markers = [
        '<p class="label"><a href="/kind/opinion/">Opinion</a>',
        '<a href="/section/europe/">Europe</a>',
        '<h1 id="headline" class="article__headline">The reference story</h1>',
        f'<p class="article__dek">{story.dek}</p>',
        'By <a href="/authors/',
        'alt="Alt text',
        "Top image credit: Photo: Jane Roe / Agency",
        '<div class="article__body">',
        '<footer class="article__footer">',
        '<a href="/kind/opinion/">Opinion</a>',
        '<a href="/tag/energy/" rel="tag">energy</a>',
        "Ines covers the EU.",
        "More stories",
        "Top image credit: Photo: Agency",
        'class="keep-reading"',
        "Latest",
        "A short brief",
        "The weekly round-up",
    ]
    pos = 0
    for marker in markers:
        found = html.find(marker, pos)
        assert found >= 0, f"missing or out of order: {marker!r}"
        pos = found


def test_related_cards_link_keep_reading_without_javascript(client, story):
    html = client.get(f"/articles/{story.slug}/").content.decode()
    cards = re.findall(r'<a class="keep-reading" href="(/articles/[^"]+/)" data-expands="(more-\d+)"', html)
    assert len(cards) == 3
    for href, region in cards:
        assert f'id="{region}" hidden' in html
        assert client.get(href).status_code == 200


def test_social_links_show_when_set(client, story):
    from masthead.core.models import MagazineSettings, SocialLink

    s = MagazineSettings.objects.create(name="The Test Review")
    SocialLink.objects.create(settings=s, network="Mastodon", url="https://example.social/@t")
    html = client.get(f"/articles/{story.slug}/").content.decode()
    assert "Follow us on social" in html and "https://example.social/@t" in html
    assert "The Test Review" in html


@pytest.mark.parametrize("url", [
    "/articles/no-such-story/", "/section/atlantis/", "/kind/poetry/", "/tag/none-such/",
    "/authors/nobody/", "/articles/?page=abc", "/articles/?page=999999", "/articles/?page=0",
    "/articles/?page=-1", "/section/europe/?page=50", "/briefs/?page=x", "/briefs/?page=9",
    "/articles/?page=99999999999999999999",
])
def test_bad_addresses_are_404_not_500(client, story, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_listings_paginate(client, settings):
    settings.LISTING_PAGE_SIZE = 2
    for _ in range(5):
        f.article(section_slug="africa")
    first = client.get("/section/africa/").content.decode()
    assert 'rel="next" href="?page=2"' in first
    third = client.get("/section/africa/?page=3").content.decode()
    assert 'rel="prev" href="?page=2"' in third and 'rel="next"' not in third
    assert client.get("/section/africa/?page=4").status_code == 404


def test_home_has_lead_latest_sections_and_briefs(client, story):
    html = client.get("/").content.decode()
    assert 'aria-label="Lead story"' in html and "The reference story" in html
    assert 'id="row-europe"' in html and "Latest" in html and "A short brief" in html


def test_author_kind_tag_and_briefs_pages(client, story):
    assert "The reference story" in client.get("/authors/" + story.authors.first().author.slug + "/").content.decode()
    assert "The reference story" in client.get("/kind/opinion/").content.decode()
    assert "The reference story" in client.get("/tag/security/").content.decode()
    assert "A short brief" in client.get("/briefs/").content.decode()


def test_pages_name_what_they_show_for_purges(client, story):
    response = client.get(f"/articles/{story.slug}/")
    keys = response["xkey"].split()
    assert f"article-{story.pk}" in keys and "latest" in keys and "briefs" in keys


def test_preview_renders_the_draft(admin_client, story):
    story.title = "A draft headline"
    story.save_revision()
    response = admin_client.get(f"/admin/pages/{story.pk}/edit/preview/", HTTP_HOST="127.0.0.1")
    assert response.status_code == 200


def test_editors_can_pin_the_home_and_section_leads(client, story):
    from masthead.editorial.models import HomePage, Section

    older = f.article("An older piece worth leading", section_slug="europe")
    home = HomePage.objects.get()
    home.lead_article = older
    home.save_revision().publish()
    html = client.get("/").content.decode()
    lead = html[html.index('aria-label="Lead story"'):]
    assert lead.index("An older piece worth leading") < lead.index("</section>")
    Section.objects.filter(slug="europe").update(lead_article=older)
    from masthead.core import versioning

    versioning.bump()
    html = client.get("/section/europe/").content.decode()
    html = html[: html.index('<aside class="layout__aside"')]  # the listing, not LATEST
    assert html.count("An older piece worth leading") == 1
    assert html.index("An older piece worth leading") < html.index("The reference story")


def test_author_page_shows_profile(client, story):
    author = story.authors.first().author
    html = client.get(f"/authors/{author.slug}/").content.decode()
    assert "Ines covers the EU." in html and "Europe editor" in html


def test_brief_word_limit():
    from django.core.exceptions import ValidationError

    b = f.brief(publish=False)
    b.body = "<p>" + "word " * 251 + "</p>"
    with pytest.raises(ValidationError, match="at most 250 words"):
        b.full_clean()


def _nav(html: str) -> str:
    return html[html.index('<nav class="sections-nav"'):html.index("</nav>")]


def test_sections_nav_marks_the_section_being_read_and_only_there(client, story):
    """The masthead is rendered once per content version; a section page has its own copy."""
    f.article(section_slug="africa")
    europe = _nav(client.get("/section/europe/").content.decode())
    assert '<a href="/section/europe/" aria-current="page">Europe</a>' in europe
    assert '<a href="/section/africa/">Africa</a>' in europe
    africa = _nav(client.get("/section/africa/").content.decode())
    assert '<a href="/section/africa/" aria-current="page">Africa</a>' in africa
    assert '<a href="/section/europe/">Europe</a>' in africa
    for url in (f"/articles/{story.slug}/", "/", "/briefs/", "/section/europe/?page=1"):
        nav = _nav(client.get(url).content.decode())
        assert 'href="/section/africa/">Africa</a>' in nav, url
        assert ("aria-current" in nav) == url.startswith("/section/"), url


def test_a_renamed_section_shows_in_every_masthead_at_once(client, story):
    from masthead.editorial.models import Section

    client.get("/section/europe/"), client.get(f"/articles/{story.slug}/")
    section = Section.objects.get(slug="europe")
    section.name = "Europe and Eurasia"
    section.save()
    for url in ("/section/europe/", f"/articles/{story.slug}/"):
        assert ">Europe and Eurasia</a>" in _nav(client.get(url).content.decode()), url
