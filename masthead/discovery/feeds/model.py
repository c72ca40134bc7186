"""What a feed says, independent of its format: a channel of entries, all text already cleaned."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

FORMATS = {
    # format: (file name, content type)
    "rss": ("rss.xml", "application/rss+xml; charset=utf-8"),
    "atom": ("atom.xml", "application/atom+xml; charset=utf-8"),
    "json": ("feed.json", "application/feed+json; charset=utf-8"),
}


@dataclass(frozen=True)
class Person:
    name: str
    url: str = ""


@dataclass(frozen=True)
class Category:
    """A section, kind or tag: `term` is its slug, `label` its name, `scheme` its listing root."""

    term: str
    label: str
    scheme: str


@dataclass(frozen=True)
class Image:
    """The top image as an enclosure: a JPEG rendition, its size in bytes, credit and alt text."""

    url: str
    mime_type: str
    length: int
    credit: str
    alt: str


@dataclass(frozen=True)
class Entry:
    id: str  # a tag: URI that never changes, whatever happens to the slug or the domain
    title: str
    link: str
    published: datetime
    updated: datetime
    summary: str  # plain text
    content_html: str = ""  # cleaned HTML; empty when the feed carries summaries only
    authors: tuple[Person, ...] = ()
    categories: tuple[Category, ...] = ()
    image: Image | None = None
    keys: tuple[str, ...] = ()  # xkey cache keys of what the entry shows


@dataclass(frozen=True)
class Channel:
    id: str
    title: str
    description: str
    home_url: str
    feed_root: str  # absolute URL the format's file name is appended to
    language: str
    updated: datetime
    entries: tuple[Entry, ...]
    publisher: Person  # the magazine, author of entries that name none (briefs)
    artwork: dict[str, str] = field(default_factory=dict)  # icon (64), image (144), logo (512)
    keys: tuple[str, ...] = ()

    def feed_url(self, fmt: str) -> str:
        return self.feed_root + FORMATS[fmt][0]

    @property
    def last_modified(self) -> datetime | None:
        """When the newest entry was published or last updated (None for an empty feed)."""
        return max((e.updated for e in self.entries), default=None)
