"""Turn records into feed entries: absolute links, stable ids, cleaned text and HTML.

Every string that leaves here went through `clean_text` (or `clean_html`): the records were
cleaned when saved, but old rows and rich text may still hold characters XML cannot carry.
"""

from __future__ import annotations

import mimetypes
from datetime import datetime
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.utils.html import format_html
from wagtail.images.models import get_rendition_storage

from masthead.core.text import clean_html, clean_text, html_to_text
from masthead.discovery.feeds.model import Category, Entry, Image, Person


def absolute(path: str) -> str:
    return path if urlsplit(path).scheme else settings.SITE_URL + path


def tag_uri(kind: str, pk: int, when: datetime) -> str:
    """A tag: URI (RFC 4151) such as `tag:example.org,2026-11-01:article/12`.

    It names the item, not its address, so a new slug never makes readers see it twice.
    """
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"tag:{host},{when:%Y-%m-%d}:{kind}/{pk}"


def _category(term: str, label: str, root: str) -> Category:
    return Category(term=clean_text(term), label=clean_text(label),
                    scheme=absolute(f"/{root}/"))


def article_entry(row: dict, *, sections: dict, kinds: dict, full: bool) -> Entry:
    """A feed entry from a PublishedArticle `.values()` row."""
    link = absolute(row["url"])
    categories = []
    for found, root in ((sections.get(row["section_id"]), "section"),
                        (kinds.get(row["kind_id"]), "kind")):
        if found:
            categories.append(_category(found["slug"], found["name"], root))
    categories += [_category(t["slug"], t["name"], "tag") for t in row["tags"]]
    return Entry(
        id=tag_uri("article", row["page_id"], row["published_at"]),
        title=clean_text(row["headline"]),
        link=link,
        published=row["published_at"],
        updated=max(row["published_at"], row["updated_at"] or row["published_at"]),
        summary=clean_text(row["dek"]),
        content_html=clean_html(row["body_html"], base=link) if full else "",
        authors=tuple(Person(clean_text(a["name"]), absolute(a["url"])) for a in row["authors"]),
        categories=tuple(categories),
        image=top_image(row),
        keys=(f"article-{row['page_id']}",),
    )


def top_image(row: dict) -> Image | None:
    if not row["image_url"]:
        return None
    url = row["image_url"]
    return Image(
        url=clean_text(absolute(url)),
        mime_type=mimetypes.guess_type(urlsplit(url).path)[0] or "image/jpeg",
        length=file_size(url),
        credit=clean_text(row["image_credit"]),
        alt=clean_text(row["image_alt"]),
    )


def file_size(url: str) -> int:
    """Bytes of a rendition from its storage (a stat on disk), 0 if it cannot be told.

    Feeds are built once per content version, so this runs once per item and version.
    """
    storage = get_rendition_storage()
    base = getattr(storage, "base_url", None) or settings.MEDIA_URL
    if not url.startswith(base):
        return 0
    try:
        return storage.size(unquote(url[len(base):]))
    except (OSError, NotImplementedError, ValueError):
        return 0


def brief_entry(row: dict, body_html: str, *, sections: dict) -> Entry:
    """A feed entry from a live Brief `.values()` row and its expanded body HTML."""
    link = absolute(f"/briefs/#brief-{row['id']}")
    published = row["first_published_at"]
    section = sections.get(row["section_id"])
    categories = [_category(section["slug"], section["name"], "section")] if section else []
    categories += [_category(t["slug"], t["name"], "tag") for t in row["tags"]]
    source = ""
    if row["source_url"]:
        source = format_html('<p>Source: <a href="{}">{}</a></p>', row["source_url"],
                             row["source_name"] or row["source_url"])
    return Entry(
        id=tag_uri("brief", row["id"], published),
        title=clean_text(row["headline"]),
        link=link,
        published=published,
        updated=max(published, row["last_published_at"] or published),
        summary=html_to_text(body_html),
        content_html=clean_html(body_html + source, base=link),
        categories=tuple(categories),
        keys=(f"brief-{row['id']}",),
    )
