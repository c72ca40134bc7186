"""What an article's body holds never runs on a reader's page: javascript: and data: links,
scripts, event handlers, frames and styles are removed when the story is rendered at publish,
whatever road the body came by (here: written straight into the StreamField, not through the
editor, which would have cleaned it already)."""

from __future__ import annotations

import pytest

from tests import factories as f

from .test_headers import inline_code

pytestmark = pytest.mark.django_db

HOSTILE_PARAGRAPH = (
    '<p>First <a href="javascript:alert(1)">a js link</a> and '
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">a data link</a> and '
    '<a href="JaVaScRiPt&#58;alert(2)">an encoded one</a> and '
    '<a href=" java&#x09;script:alert(3)">a tabbed one</a>. '
    '<img src="x" onerror="alert(4)"><script>alert(5)</script>'
    '<b onclick="alert(6)" style="color:red">bold</b> '
    '<iframe src="https://evil.example/"></iframe><style>body{display:none}</style>'
    '<svg onload="alert(7)"><circle r="1"/></svg>'
    '<a href="/articles/elsewhere/">an internal link</a> and '
    '<a href="https://example.org/report">a source</a>.</p>'
)
BODY = [
    {"type": "paragraph", "value": HOSTILE_PARAGRAPH},
    {"type": "paragraph", "value": '<p>Second <a href="vbscript:msgbox(1)">vb</a>'
                                   '<math><mi xlink:href="javascript:alert(8)">m</mi></math></p>'},
    {"type": "heading", "value": '<script>alert(9)</script>A heading'},
    {"type": "pull_quote", "value": {"text": '<img src=x onerror="alert(10)">'}},
    {"type": "embed", "value": "javascript:alert(11)"},
    {"type": "embed", "value": "data:text/html,<script>alert(12)</script>"},
    {"type": "footnote",
     "value": {"note": '<p>A note <a href="javascript:alert(13)">with a link</a>'
                       '<img src=x onerror=alert(14)></p>'}},
]


@pytest.fixture
def story():
    return f.article("A hostile body", body=BODY, slug="hostile-body")


def assert_harmless(html: str) -> None:
    assert inline_code(html) == []
    # Nor as text that a later careless step could turn back into markup: only escaped.
    assert "<script>alert" not in html and "javascript:alert" not in html.lower()


def test_the_article_page_carries_none_of_it(client, story):
    html = client.get("/articles/hostile-body/").content.decode()
    assert_harmless(html)
    # What an editor meant survives: text, internal and outside links, the heading as text.
    assert "a js link" in html and "<b>bold</b>" in html
    assert '<a href="/articles/elsewhere/">an internal link</a>' in html
    assert '<a href="https://example.org/report">a source</a>' in html
    assert "&lt;script&gt;" in html  # the heading's text, escaped


def test_cards_and_excerpts_carry_none_of_it(client, story):
    f.article("A later story", slug="later")  # the hostile one shows as a related card
    for path in ("/", "/articles/", "/section/europe/", "/articles/later/"):
        assert_harmless(client.get(path).content.decode())
    related = client.get("/articles/later/").content.decode()
    assert "First" in related and "Second" in related  # the excerpt, and "keep reading"
