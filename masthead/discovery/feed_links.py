"""`<link rel="alternate">` tags for the feeds that match a reader page.

Mapped from the path alone, with titles from the template's own context (the magazine's name
and the page's title, which the page already has), so they add no query to any page.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from django.utils.html import format_html_join
from markupsafe import Markup

from jinja2 import pass_context
from masthead.discovery.feeds.model import FORMATS

FORMAT_LABELS = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}
LISTING_PATH = re.compile(r"^/(section|kind|tag|authors)/([-a-zA-Z0-9_]+)/$")


def feeds_for_path(path: str) -> list[tuple[str, str | None]]:
    """(feed root, listing scope or None for the magazine) of the feeds a page offers, best first.

    A section, kind, tag or author page offers its own feeds, then the magazine's; the briefs
    stream its own; every other page (home, archive, articles) the magazine's.
    """
    if path == "/briefs/":
        return [("/feeds/briefs/", "briefs"), ("/feeds/", None)]
    match = LISTING_PATH.match(path)
    if match:
        return [(f"/feeds/{match[1]}/{match[2]}/", match[1]), ("/feeds/", None)]
    return [("/feeds/", None)]


def link_tags(path: str, *, magazine_name: str = "", page_title: str = "") -> Markup:
    """The tags for `path`, titled "<magazine>: <page title> (RSS)" for a listing's own feeds."""
    feeds = tuple(feeds_for_path(path))
    titled = any(scope for _, scope in feeds)  # only a listing's own feeds carry its title
    return _link_tags(feeds, magazine_name, page_title if titled else "")


@functools.lru_cache(maxsize=512)
def _link_tags(feeds: tuple, magazine_name: str, page_title: str) -> Markup:
    rows = []
    for root, scope in feeds:
        name = magazine_name or "Feed"
        if scope == "briefs":
            name = f"{name}: Briefs"
        elif scope and page_title:
            name = f"{name}: {page_title}"
        for fmt, (file, content_type) in FORMATS.items():
            mime = content_type.split(";")[0]
            rows.append((mime, f"{name} ({FORMAT_LABELS[fmt]})", root + file))
    return Markup(format_html_join(
        "\n", '<link rel="alternate" type="{}" title="{}" href="{}">', rows
    ))


@pass_context
def feed_links(context: Mapping, path: str) -> Markup:
    """For templates: `{{ feed_links(request.path) }}` (Jinja2 passes the context first)."""
    magazine = context.get("magazine") or {}
    return link_tags(path, magazine_name=magazine.get("name", ""),
                     page_title=context.get("page_title") or "")

