"""clean_text keeps only what XML 1.0 can carry; clean_html keeps only safe, absolute markup."""

import xml.etree.ElementTree as ET

import pytest

from masthead.core.text import clean_html, clean_text, html_to_text, safe_url

BASE = "https://magazine.example/articles/a-story/"
HOSTILE = "Nul\x00 VT\x0b Esc\x1b Lone\ud800 Nonchar\ufffe\uffff C1\x85\x9f <script>]]> & done"


def test_clean_text_removes_what_xml_cannot_carry():
    assert clean_text(HOSTILE) == "Nul VT Esc Lone Nonchar C1 <script>]]> & done"


def test_clean_text_result_is_valid_xml_character_data():
    element = ET.Element("title")
    element.text = clean_text(HOSTILE + "\U0001fffe\U0010ffff\ufdd0")
    parsed = ET.fromstring(ET.tostring(element, encoding="unicode"))
    assert parsed.text == "Nul VT Esc Lone Nonchar C1 <script>]]> & done"


def test_clean_text_keeps_whitespace_and_ordinary_text():
    text = "Tab\there\nnew line\r\nend — “quotes” 日本 😀"
    assert clean_text(text) == text


def test_clean_text_joins_a_split_surrogate_pair_and_normalises_to_nfc():
    assert clean_text("smile \ud83d\ude00") == "smile 😀"
    assert clean_text("Cafe\u0301") == "Café"  # e + combining acute → é
    assert clean_text("\udfff\ud83d") == ""


@pytest.mark.parametrize("value", [None, ""])
def test_clean_text_of_nothing_is_empty(value):
    assert clean_text(value) == ""


def test_clean_html_removes_scripts_styles_handlers_and_comments():
    html = (
        '<p onclick="steal()" style="color:red">Hi <b>there</b></p>'
        "<script>alert(1)</script><style>p{}</style><!-- note -->"
        "<iframe src='https://evil.example'><p>framed</p></iframe><form><input></form>"
    )
    assert clean_html(html, base=BASE) == "<p>Hi <b>there</b></p>"


@pytest.mark.parametrize("href", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "java&#10;script:x",
    " javascript:x", "\x00javascript:x", "data:text/html,<script>x</script>", "vbscript:x",
])
def test_clean_html_drops_links_that_are_not_http_or_mailto(href):
    assert clean_html(f'<a href="{href}">x</a>', base=BASE) == "<a>x</a>"


def test_clean_html_makes_links_and_images_absolute():
    html = (
        '<a href="/about/">About</a> <a href="#fn-1">1</a> <a href="mailto:desk@example.org">m</a>'
        '<img src="/media/a.jpg" srcset="/media/a.jpg 480w, javascript:x 800w" alt="A &quot;q&quot;"'
        ' onerror="x()"><img src="javascript:x" alt="gone">'
    )
    assert clean_html(html, base=BASE) == (
        '<a href="https://magazine.example/about/">About</a> '
        '<a href="https://magazine.example/articles/a-story/#fn-1">1</a> '
        '<a href="mailto:desk@example.org">m</a>'
        '<img src="https://magazine.example/media/a.jpg" '
        'srcset="https://magazine.example/media/a.jpg 480w" alt="A &quot;q&quot;">'
    )


def test_clean_html_escapes_text_balances_tags_and_cleans_characters():
    html = "<p>AT&T ]]> 1 < 2 \x00\x1b<em>open <strong>nested</p><p>stray</b>close"
    assert clean_html(html, base=BASE) == (
        "<p>AT&amp;T ]]&gt; 1 &lt; 2 <em>open <strong>nested</strong></em></p><p>stray"
        "close</p>"
    )


def test_clean_html_drops_an_unclosed_script_to_the_end():
    assert clean_html("<p>kept</p><script>never closed <p>lost</p>", base=BASE) == "<p>kept</p>"


def test_safe_url():
    assert safe_url("/x/", base=BASE) == "https://magazine.example/x/"
    assert safe_url("https://other.example/", base=BASE) == "https://other.example/"
    assert safe_url("mailto:a@b.c", base=BASE) == "mailto:a@b.c"
    assert safe_url("ftp://a/", base=BASE) is None
    assert safe_url("   ", base=BASE) is None
    assert safe_url("http://[::1", base=BASE) is None


def test_html_to_text():
    html = "<p>One</p><p>Two &amp; <script>x()</script>three\x00</p><ul><li>four</li></ul>"
    assert html_to_text(html) == "One Two & three four"
