"""Text that is safe to store and to write into XML, JSON and HTML.

`clean_text` removes what XML 1.0 cannot carry (and what no headline needs): control characters,
lone surrogates, non-characters. It runs when editors save (ArticlePage, Brief) and again on
output in feeds, because old rows and rich text may still hold such characters.

`clean_html` rebuilds a fragment of HTML from an allow-list of tags and attributes, with every
link made absolute and limited to http(s) and mailto, for HTML that leaves the site (feeds).
"""

from __future__ import annotations

import re
import unicodedata
from html import escape
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# Not allowed (or discouraged) in XML 1.0: C0 controls but tab/newline/CR, DEL and C1 controls,
# surrogates, and the non-characters U+FDD0..U+FDEF and U+xFFFE/U+xFFFF of every plane.
_INVALID = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + "".join(rf"\U{p:04x}fffe\U{p:04x}ffff" for p in range(1, 17))
    + "]"
)
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(value: str | None) -> str:
    """`value` without characters XML 1.0 cannot carry, in Unicode normal form C.

    Tab, newline and carriage return are kept. A surrogate pair that arrived as two code points
    (JSON's "\\ud83d\\ude00") becomes the character it encodes; a lone surrogate is removed.
    """
    if not value:
        return ""
    if _SURROGATE.search(value):
        value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")
    value = _INVALID.sub("", value)
    if not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    return value


# --- HTML

ALLOWED_TAGS = frozenset(
    "a abbr aside b blockquote br caption cite code dd del dl dt em figcaption figure footer "
    "h2 h3 h4 h5 h6 hr i img ins li mark ol p pre q s section small span strong sub sup "
    "table tbody td tfoot th thead tr u ul".split()
)
VOID_TAGS = frozenset({"br", "hr", "img"})
# Dropped with everything inside them, not just their tags.
DROPPED_WITH_CONTENT = frozenset(
    "applet button form frame frameset head iframe math noembed noframes noscript "
    "object script select style svg template textarea title video audio canvas".split()
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "srcset", "alt", "width", "height", "sizes"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE_SCHEMES = frozenset({"http", "https"})
_URL_NOISE = re.compile(r"[\t\n\r]")  # browsers ignore these inside URLs ("java\tscript:")


def safe_url(value: str, *, base: str, schemes: frozenset[str] = LINK_SCHEMES) -> str | None:
    """`value` made absolute against `base`, or None if its scheme is not one of `schemes`."""
    value = _URL_NOISE.sub("", clean_text(value)).strip(" ")
    if not value:
        return None
    try:
        absolute = urljoin(base, value)
        scheme = urlsplit(absolute).scheme
    except ValueError:  # e.g. an unclosed IPv6 host "http://[::1"
        return None
    return absolute if scheme in schemes else None


def _safe_srcset(value: str, *, base: str) -> str | None:
    candidates = []
    for candidate in value.split(","):
        url, _, descriptor = candidate.strip().partition(" ")
        url = safe_url(url, base=base, schemes=IMAGE_SCHEMES) if url else None
        if url:
            candidates.append(f"{url} {descriptor.strip()}".strip())
    return ", ".join(candidates) or None


class _Sanitizer(HTMLParser):
    def __init__(self, base: str):
        super().__init__(convert_charrefs=True)
        self.base = base
        self.out: list[str] = []
        self.open: list[str] = []
        self.dropping = 0  # depth inside elements dropped with their content

    def handle_starttag(self, tag, attrs):
        if tag in DROPPED_WITH_CONTENT:
            self.dropping += 1
            return
        if self.dropping or tag not in ALLOWED_TAGS:
            return
        kept = self._attributes(tag, attrs)
        if kept is None:
            return
        self.out.append(f"<{tag}{kept}>")
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def _attributes(self, tag: str, attrs) -> str | None:
        allowed = ALLOWED_ATTRIBUTES.get(tag, ())
        kept = []
        for name, value in attrs:
            if name not in allowed or value is None:
                continue
            if name in ("href", "src"):
                value = safe_url(value, base=self.base,
                                 schemes=IMAGE_SCHEMES if name == "src" else LINK_SCHEMES)
            elif name == "srcset":
                value = _safe_srcset(value, base=self.base)
            if value is not None:
                kept.append(f' {name}="{escape(clean_text(value), quote=True)}"')
        if tag == "img" and not any(k.startswith(" src=") for k in kept):
            return None  # an image without a safe source shows nothing
        return "".join(kept)

    def handle_endtag(self, tag):
        if tag in DROPPED_WITH_CONTENT:
            self.dropping = max(0, self.dropping - 1)
            return
        if self.dropping or tag not in self.open:
            return
        while self.open:
            closing = self.open.pop()
            self.out.append(f"</{closing}>")
            if closing == tag:
                break

    def handle_data(self, data):
        if not self.dropping:
            self.out.append(escape(clean_text(data), quote=False))

    def result(self) -> str:
        self.close()
        self.out.extend(f"</{tag}>" for tag in reversed(self.open))
        self.open.clear()
        return "".join(self.out)


def clean_html(html: str | None, *, base: str) -> str:
    """A fragment of HTML rebuilt from allowed tags and attributes only.

    Scripts, styles, frames and forms go with their content; comments, event handlers and
    styles are dropped; links and images are made absolute against `base` and kept only for
    http(s) (and mailto for links). Tags are balanced, text is cleaned and escaped.
    """
    parser = _Sanitizer(base)
    parser.feed(clean_text(html))
    return parser.result()


def html_to_text(html: str | None) -> str:
    """The text of an HTML fragment, with block ends as spaces, cleaned and trimmed."""
    parser = _TextOnly()
    parser.feed(clean_text(html))
    parser.close()
    return " ".join("".join(parser.parts).split())


class _TextOnly(HTMLParser):
    BLOCKS = frozenset({"p", "br", "li", "blockquote", "h2", "h3", "h4", "h5", "h6", "div"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag, attrs):
        if tag in DROPPED_WITH_CONTENT:
            self.dropping += 1
        elif tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in DROPPED_WITH_CONTENT:
            self.dropping = max(0, self.dropping - 1)
        elif tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.dropping:
            self.parts.append(data)
