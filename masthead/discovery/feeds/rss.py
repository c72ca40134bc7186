"""RSS 2.0, with content:encoded for full text, dc:creator for authors and Media RSS images."""

from __future__ import annotations

import io
from email.utils import format_datetime
from html import escape

from masthead.discovery.feeds.model import Channel, Entry, Image
from masthead.discovery.feeds.xmlwriter import CleanXMLGenerator

NAMESPACES = {
    "xmlns:atom": "http://www.w3.org/2005/Atom",
    "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
    "xmlns:dc": "http://purl.org/dc/elements/1.1/",
    "xmlns:media": "http://search.yahoo.com/mrss/",
}


def _date(value) -> str:
    return format_datetime(value, usegmt=False)


def write(channel: Channel) -> bytes:
    out = io.BytesIO()
    xml = CleanXMLGenerator(out, "utf-8", short_empty_elements=True)
    xml.startDocument()
    xml.startElement("rss", {"version": "2.0", **NAMESPACES})
    xml.startElement("channel", {})
    xml.addQuickElement("title", channel.title)
    xml.addQuickElement("link", channel.home_url)
    xml.addQuickElement("description", channel.description)
    xml.addQuickElement("atom:link", attrs={
        "rel": "self", "type": "application/rss+xml", "href": channel.feed_url("rss")})
    xml.addQuickElement("language", channel.language)
    xml.addQuickElement("lastBuildDate", _date(channel.updated))
    if channel.artwork.get("image"):
        xml.startElement("image", {})
        xml.addQuickElement("url", channel.artwork["image"])
        xml.addQuickElement("title", channel.title)
        xml.addQuickElement("link", channel.home_url)
        xml.endElement("image")
    for entry in channel.entries:
        _item(xml, entry)
    xml.endElement("channel")
    xml.endElement("rss")
    xml.endDocument()
    return out.getvalue()


def _item(xml: CleanXMLGenerator, entry: Entry) -> None:
    xml.startElement("item", {})
    xml.addQuickElement("title", entry.title)
    xml.addQuickElement("link", entry.link)
    xml.addQuickElement("guid", entry.id, {"isPermaLink": "false"})
    xml.addQuickElement("pubDate", _date(entry.published))
    for author in entry.authors:
        xml.addQuickElement("dc:creator", author.name)
    for category in entry.categories:
        xml.addQuickElement("category", category.label, {"domain": category.scheme})
    # <description> is HTML by convention: escape the plain text so it reads as text.
    xml.addQuickElement("description", escape(entry.summary, quote=False))
    if entry.content_html:
        xml.addQuickElement("content:encoded", entry.content_html)
    if entry.image:
        image = entry.image
        xml.addQuickElement("enclosure", attrs={
            "url": image.url, "length": str(image.length), "type": image.mime_type})
        media_content(xml, image)
    xml.endElement("item")


def media_content(xml: CleanXMLGenerator, image: Image) -> None:
    """Media RSS: the image with its credit, and its alt text as the description."""
    xml.startElement("media:content", {"url": image.url, "type": image.mime_type,
                                       "medium": "image", "fileSize": str(image.length)})
    if image.credit:
        xml.addQuickElement("media:credit", image.credit)
    if image.alt:
        xml.addQuickElement("media:description", image.alt, {"type": "plain"})
    xml.endElement("media:content")
