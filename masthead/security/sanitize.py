"""Reader-safe HTML from rich text, and the embed allow-list, applied when a story is rendered.

Rich text typed in the admin is already cut down to the editor's features by Wagtail, but a
body can also arrive by other roads (imports, the API, revisions copied from elsewhere, data
written by scripts), so the publish-time renderer cleans every rich-text fragment again with
an allow-list (nh3, the Ammonia sanitizer): no script, style, iframe, form or event handler,
no style attribute, and links only to http(s), mailto or this site.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import nh3

TAGS = frozenset(
    "a abbr b blockquote br cite code em h2 h3 h4 i li ol p q s small strong sub sup u ul".split()
)
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
DROPPED_WITH_CONTENT = frozenset(
    "script style iframe object embed form textarea select noscript template svg math".split()
)


def rich_text_html(html: str) -> str:
    """`html` (expanded rich text) reduced to the tags, attributes and link schemes above."""
    return nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )


def embed_allowed(url: str) -> bool:
    """True if `url` is http(s) and one of the allowed embed providers (EMBED_PROVIDERS)
    accepts it. Asks no provider anything: finders' accept() only matches patterns."""
    from wagtail.embeds.finders import get_finders

    if urlsplit(url.strip()).scheme not in ("http", "https"):
        return False
    return any(finder.accept(url) for finder in get_finders())
