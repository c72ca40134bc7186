"""Atom 1.0 (RFC 4287): summaries as text, full text as escaped HTML, images as enclosures."""

from __future__ import annotations

import io

from masthead.discovery.feeds.model import Channel, Entry, Person
from masthead.discovery.feeds.rss import media_content
from masthead.discovery.feeds.xmlwriter import CleanXMLGenerator

NAMESPACES = {"xmlns": "http://www.w3.org/2005/Atom", "xmlns:media": "http://search.yahoo.com/mrss/"}


def _date(value) -> str:
    return value.isoformat()


def write(channel: Channel) -> bytes:
    out = io.BytesIO()
    xml = CleanXMLGenerator(out, "utf-8", short_empty_elements=True)
    xml.startDocument()
    xml.startElement("feed", {**NAMESPACES, "xml:lang": channel.language})
    xml.addQuickElement("id", channel.id)
    xml.addQuickElement("title", channel.title)
    xml.addQuickElement("subtitle", channel.description)
    xml.addQuickElement("updated", _date(channel.updated))
    xml.addQuickElement("link", attrs={"rel": "alternate", "type": "text/html",
                                       "href": channel.home_url})
    xml.addQuickElement("link", attrs={"rel": "self", "type": "application/atom+xml",
                                       "href": channel.feed_url("atom")})
    _author(xml, channel.publisher)  # required unless every entry names an author
    if channel.artwork:
        xml.addQuickElement("icon", channel.artwork["icon"])
        xml.addQuickElement("logo", channel.artwork["logo"])
    for entry in channel.entries:
        _entry(xml, entry)
    xml.endElement("feed")
    xml.endDocument()
    return out.getvalue()


def _entry(xml: CleanXMLGenerator, entry: Entry) -> None:
    xml.startElement("entry", {})
    xml.addQuickElement("id", entry.id)
    xml.addQuickElement("title", entry.title, {"type": "text"})
    xml.addQuickElement("link", attrs={"rel": "alternate", "type": "text/html",
                                       "href": entry.link})
    xml.addQuickElement("published", _date(entry.published))
    xml.addQuickElement("updated", _date(entry.updated))
    for author in entry.authors:
        _author(xml, author)
    for category in entry.categories:
        xml.addQuickElement("category", attrs={
            "term": category.term, "label": category.label, "scheme": category.scheme})
    xml.addQuickElement("summary", entry.summary, {"type": "text"})
    if entry.content_html:
        xml.addQuickElement("content", entry.content_html, {"type": "html"})
    if entry.image:
        image = entry.image
        xml.addQuickElement("link", attrs={
            "rel": "enclosure", "type": image.mime_type, "length": str(image.length),
            "href": image.url, "title": image.alt})
        media_content(xml, image)
    xml.endElement("entry")


def _author(xml: CleanXMLGenerator, person: Person) -> None:
    xml.startElement("author", {})
    xml.addQuickElement("name", person.name)
    if person.url:
        xml.addQuickElement("uri", person.url)
    xml.endElement("author")
