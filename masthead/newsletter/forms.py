"""The sign-up form readers see on every page, and the editors' CSV import form."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError

from masthead.newsletter.addresses import NAME_MAX_LENGTH, has_control_characters
from masthead.newsletter.services.subscribers import ImportRow

HONEYPOT_FIELD = "website"
# The box in the sidebar is rendered once and shared by every page (editorial.chrome), so it
# posts source=box and the page it sat on is read from the same-origin Referer.
BOX_SOURCE = "box"
PAGE_SOURCE = "newsletter-page"
DEFAULT_SOURCE = "site-box"  # no Referer (a privacy setting), another site, an unknown page
BOX_LOCATIONS = {"articles": "article-box", "section": "section-box", "kind": "kind-box",
                 "tag": "tag-box", "authors": "author-box", "briefs": "briefs-box"}
IMPORT_MAX_BYTES = 5 * 1024 * 1024


class SingleLineField(forms.CharField):
    """Refuses line breaks and control characters before the usual strip() can hide them."""

    def __init__(self, *, line_message: str, **kwargs):
        self.line_message = line_message
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str) and has_control_characters(value):
            raise ValidationError(self.line_message, code="control_characters")
        return super().to_python(value)


class SingleLineEmailField(SingleLineField, forms.EmailField):
    pass


class SignUpForm(forms.Form):
    email = SingleLineEmailField(
        max_length=254,
        line_message="An email address must be on one line, without line breaks.",
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter a valid email address, like name@example.com.",
            "max_length": "An email address can be at most 254 characters long.",
        },
    )
    name = SingleLineField(
        required=False,
        max_length=NAME_MAX_LENGTH,
        line_message="Your name must be on one line, without line breaks.",
        error_messages={"max_length": f"Your name can be at most {NAME_MAX_LENGTH} characters."},
    )

    @staticmethod
    def is_bot(data) -> bool:
        """A person never sees the honeypot field; whatever fills it is a bot."""
        return bool(data.get(HONEYPOT_FIELD, "").strip())

    @staticmethod
    def source(data, *, referer: str, host: str) -> str:
        """Where the form was: "newsletter-page", or the box's page ("article-box"...).

        Informational only (a client can send any Referer); it never decides anything.
        """
        if data.get("source") == PAGE_SOURCE:
            return PAGE_SOURCE
        url = urlsplit(referer or "")
        if url.netloc != host:
            return DEFAULT_SOURCE
        first = url.path.strip("/").split("/", 1)[0]
        if not first:
            return "home-box"
        return BOX_LOCATIONS.get(first, DEFAULT_SOURCE)

    def error_list(self) -> list[tuple[str, str]]:
        """(field label, message) pairs for the error summary above the form."""
        labels = {"email": "Email address", "name": "Name"}
        return [(labels.get(f, f), str(m)) for f, errors in self.errors.items() for m in errors]


class SubscriberImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="One subscriber per line: email, then an optional name. "
                  "A first line reading 'email' is skipped. UTF-8, at most 5 MB.",
    )
    consent_source = SingleLineField(
        label="Where these people agreed to receive the round-up",
        max_length=70,
        line_message="Keep the consent source on one line.",
        help_text="Stored with every imported address, e.g. 'Book fair sign-up sheet, May 2026'.",
    )

    def clean_file(self) -> list[ImportRow]:
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError("The file is larger than 5 MB; split it into smaller files.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError("The file is not UTF-8 text; export it as CSV UTF-8.") from exc
        reader = csv.reader(io.StringIO(text, newline=""))
        rows = []
        try:
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                if reader.line_num == 1 and cells[0].strip().lower() == "email":
                    continue
                rows.append(ImportRow(line=reader.line_num, cells=tuple(cells)))
        except csv.Error as exc:
            raise ValidationError(f"Line {reader.line_num} is not valid CSV: {exc}") from exc
        if not rows:
            raise ValidationError("The file has no subscribers in it.")
        return rows
