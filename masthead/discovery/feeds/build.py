"""Build a feed once per content version and format; every later request reuses the bytes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from wagtail.rich_text import expand_db_html

from masthead.core import versioning
from masthead.core.selectors import magazine
from masthead.core.text import clean_text
from masthead.discovery.feeds import atom, entries, jsonfeed, rss, scopes, selectors
from masthead.discovery.feeds.model import FORMATS, Channel, Person
from masthead.editorial.selectors import site_kinds, site_sections

WRITERS = {"rss": rss.write, "atom": atom.write, "json": jsonfeed.write}


@dataclass(frozen=True)
class BuiltFeed:
    body: bytes
    content_type: str
    last_modified: datetime | None
    keys: tuple[str, ...]


def built_feed(token: str, scope: str, slug: str, fmt: str) -> BuiltFeed:
    """The feed's bytes in `fmt`; raises Http404 (and caches nothing) for an unknown listing."""

    def build():
        chan = channel(token, scope, slug)
        return BuiltFeed(WRITERS[fmt](chan), FORMATS[fmt][1], chan.last_modified, chan.keys)

    return versioning.cached(("feed", scope, slug, fmt), build, token=token)


def channel(token: str, scope: str, slug: str) -> Channel:
    """The format-independent feed, shared by its RSS, Atom and JSON renderings."""
    return versioning.cached(("feed-channel", scope, slug),
                             lambda: _channel(token, scopes.resolve(token, scope, slug)),
                             token=token)


def _channel(token: str, listing: scopes.Listing) -> Channel:
    mag = magazine(token)
    items = _entries(token, listing)
    name = clean_text(mag["name"])
    return Channel(
        id=entries.absolute(listing.feed_path),
        title=clean_text(scopes.title_of(listing, name)),
        description=clean_text(scopes.description_of(listing, mag)),
        home_url=entries.absolute(listing.page_path),
        feed_root=entries.absolute(listing.feed_path),
        language=language_tag(settings.LANGUAGE_CODE),
        # An empty feed has no newest item; it is then as new as the content version.
        updated=max((e.updated for e in items), default=timezone.now()),
        entries=tuple(items),
        publisher=Person(name, entries.absolute("/")),
        artwork={k: entries.absolute(v) for k, v in scopes.artwork(token).items()},
        keys=("feed", f"feed-{listing.scope}", listing.key, "site",
              *(key for e in items for key in e.keys)),
    )


def _entries(token: str, listing: scopes.Listing) -> list:
    count = settings.FEED_ITEMS
    sections = {s["id"]: s for s in site_sections(token)}
    if listing.is_briefs:
        rows = selectors.newest_briefs(count)
        bodies = expand_many([r["body"] for r in rows])
        return [entries.brief_entry(r, body, sections=sections)
                for r, body in zip(rows, bodies, strict=True)]
    kinds = {k["id"]: k for k in site_kinds(token)}
    return [entries.article_entry(r, sections=sections, kinds=kinds, full=listing.full_content)
            for r in selectors.newest_articles(listing, count)]


def expand_many(bodies: list[str]) -> list[str]:
    """Expand the internal links of many rich text values in one pass (one query per link type,
    not per body): they are joined around a marker no body can contain, then split."""
    if not bodies:
        return []
    marker = f"<!--feed-item-{uuid.uuid4().hex}-->"
    expanded = expand_db_html(marker.join(bodies)).split(marker)
    if len(expanded) != len(bodies):  # a body broke the marker: expand one by one
        return [expand_db_html(body) for body in bodies]
    return expanded


def language_tag(code: str) -> str:
    """A BCP 47 tag from Django's language code: "en-gb" → "en-GB"."""
    lang, _, region = code.partition("-")
    return f"{lang}-{region.upper()}" if len(region) == 2 else code
