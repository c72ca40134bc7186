"""An XML writer that cannot emit what XML 1.0 forbids, whatever it is handed."""

from __future__ import annotations

from django.utils.xmlutils import SimplerXMLGenerator

from masthead.core.text import clean_text


class CleanXMLGenerator(SimplerXMLGenerator):
    """Text and attribute values pass through `clean_text` (the XML writer escapes them).

    Entries are cleaned when built; this is the last line of defence for a field someone adds
    later without cleaning: one bad character would otherwise make the whole feed unreadable.
    """

    def characters(self, content):
        super().characters(clean_text(content))

    def startElement(self, name, attrs):
        super().startElement(name, {k: clean_text(v) for k, v in (attrs or {}).items()})
