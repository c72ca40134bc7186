"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""

from __future__ import annotations

import json

from masthead.core.text import clean_text
from masthead.discovery.feeds.model import Channel, Entry, Person

VERSION = "https://jsonfeed.org/version/1.1"


def _person(person: Person) -> dict:
    return {"name": person.name, "url": person.url} if person.url else {"name": person.name}


def write(channel: Channel) -> bytes:
    feed = {
        "version": VERSION,
        "title": channel.title,
        "home_page_url": channel.home_url,
        "feed_url": channel.feed_url("json"),
        "description": channel.description,
        "language": channel.language,
        "authors": [_person(channel.publisher)],
    }
    if channel.artwork:
        feed["icon"] = channel.artwork["logo"]
        feed["favicon"] = channel.artwork["icon"]
    feed["items"] = [_item(entry) for entry in channel.entries]
    # Every string is cleaned once more, so none can hold a lone surrogate (unencodable) or a
    # control character; ensure_ascii=False then keeps the output readable UTF-8.
    return json.dumps(_cleaned(feed), ensure_ascii=False, indent=1).encode("utf-8")


def _cleaned(value):
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    return value


def _item(entry: Entry) -> dict:
    item = {
        "id": entry.id,
        "url": entry.link,
        "title": entry.title,
        "summary": entry.summary,
        "date_published": entry.published.isoformat(),
        "date_modified": entry.updated.isoformat(),
    }
    if entry.content_html:
        item["content_html"] = entry.content_html
    else:
        item["content_text"] = entry.summary
    if entry.authors:
        item["authors"] = [_person(a) for a in entry.authors]
    if entry.categories:
        item["tags"] = [c.label for c in entry.categories]
    if entry.image:
        image = entry.image
        item["image"] = image.url
        attachment = {"url": image.url, "mime_type": image.mime_type, "title": image.alt}
        if image.length:
            attachment["size_in_bytes"] = image.length
        item["attachments"] = [attachment]
        # JSON Feed has no field for credits: an extension object (keys start with "_").
        item["_media"] = {"credit": image.credit, "description": image.alt}
    return item
