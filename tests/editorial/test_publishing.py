"""Publishing rules: what goes live, what a reader sees, and what is refused."""

import pytest

from masthead.core import versioning
from masthead.editorial.models import PublishedArticle
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_publish_renders_the_reader_record_once():
    a = f.article("Cables under the sea", tags=["energy"], body=f.paragraphs(5),
                  top_image=f.image(size=(1600, 900)))  # wide enough for every width
    record = PublishedArticle.objects.get(page=a)
    assert record.headline == "Cables under the sea"
    assert record.url == f"/articles/{a.slug}/"
    assert "<p>Paragraph 3 of the body text.</p>" in record.body_html
    assert record.first_paragraph_html == "<p>Paragraph 1 of the body text.</p>"
    assert "Paragraph 2" in record.more_paragraphs_html
    assert "Paragraph 5" not in record.more_paragraphs_html
    assert ".webp 480w" in record.image_html and ".webp 1600w" in record.image_html
    assert 'alt="Alt text' in record.image_html
    assert [(t["name"], t["slug"]) for t in record.tags] == [("energy", "energy")]


def test_draft_is_not_public(client):
    a = f.article(publish=False)
    assert not PublishedArticle.objects.filter(page_id=a.pk).exists()
    assert client.get(f"/articles/{a.slug}/").status_code == 404


def test_unpublish_takes_the_article_off_every_page(client):
    a = f.article("Soon gone")
    assert "Soon gone" in client.get("/").content.decode()
    a.unpublish()
    assert not PublishedArticle.objects.filter(page_id=a.pk).exists()
    assert client.get(f"/articles/{a.slug}/").status_code == 404
    assert "Soon gone" not in client.get("/").content.decode()


def test_delete_removes_the_record(client):
    a = f.article()
    a.delete()
    assert PublishedArticle.objects.count() == 0


def test_republish_updates_the_page_and_listings(client):
    a = f.article("First headline")
    assert "First headline" in client.get(f"/articles/{a.slug}/").content.decode()
    a.title = "Second headline"
    a.save_revision().publish()
    assert "Second headline" in client.get(f"/articles/{a.slug}/").content.decode()
    assert "Second headline" in client.get("/").content.decode()


def test_author_edit_rerenders_their_articles(client, django_capture_on_commit_callbacks):
    writer = f.author("Ana Lima")
    a = f.article(authors=[writer])
    writer.bio = "A changed biography."
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        writer.save()
    # The re-render is queued after commit, not run inline (beside it, the content version's
    # own callback: this process forgets the version it held once the commit is visible).
    assert [c for c in callbacks if c is not versioning.forget] != []
    assert len([c for c in callbacks if c is not versioning.forget]) == 1
    assert "A changed biography." in client.get(f"/articles/{a.slug}/").content.decode()


def test_footnotes_are_linked_both_ways():
    body = [
        {"type": "paragraph", "value": "<p>A claim.[^1] Another.[^2]</p>"},
        {"type": "footnote", "value": {"note": "<p>First note.</p>"}},
        {"type": "footnote", "value": {"note": "<p>Second note.</p>"}},
    ]
    record = PublishedArticle.objects.get(page=f.article(body=body))
    assert 'href="#fn-1" id="fnref-1"' in record.body_html
    assert '<li id="fn-2">Second note.' in record.body_html
    assert "[^1]" not in record.first_paragraph_html


def test_body_blocks_render():
    img = f.image("Inline")
    body = [
        {"type": "heading", "value": "A section"},
        {"type": "block_quote", "value": {"quote": "Said <it>.", "attribution": "A. Person"}},
        {"type": "pull_quote", "value": {"text": "Big words."}},
        {"type": "image", "value": {"image": img.pk, "alt": "Inline alt", "caption": "Cap",
                                    "credit": "Photo: Someone"}},
    ]
    html = PublishedArticle.objects.get(page=f.article(body=body)).body_html
    assert '<h2 id="a-section">A section</h2>' in html
    assert "<blockquote><p>Said &lt;it&gt;.</p><footer>— A. Person</footer></blockquote>" in html
    assert '<aside class="pull-quote"><p>Big words.</p></aside>' in html
    assert 'alt="Inline alt"' in html and '<span class="credit">Photo: Someone</span>' in html


def test_script_in_a_headline_is_escaped(client):
    a = f.article("<script>alert(1)</script> Headline")
    html = client.get(f"/articles/{a.slug}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Headline" in html
