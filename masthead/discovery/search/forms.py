"""The search page's filter form: a plain GET form, so it works without JavaScript.

Filters are named by slug in the address (?section=europe&kind=brief&author=ana-lima) and dates
as YYYY-MM-DD (?from=2026-01-01&to=2026-03-31). A value that is not valid is ignored, with a
message by its field, rather than failing the page.
"""

from __future__ import annotations

from django import forms

from masthead.discovery.search.backends import Filters

BRIEF_KIND = "brief"
FIRST_YEAR, LAST_YEAR = 1900, 2999


class _DateField(forms.DateField):
    def __init__(self, label: str):
        super().__init__(label=label, required=False, input_formats=["%Y-%m-%d"],
                         widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self, value):
        day = super().clean(value)
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise forms.ValidationError(f"Enter a date between {FIRST_YEAR} and {LAST_YEAR}.")
        return day


class SearchFilterForm(forms.Form):
    def __init__(self, data, *, sections: list[dict], kinds: list[dict], authors: list[dict]):
        super().__init__(data)
        self._ids = {
            "section": {s["slug"]: s["id"] for s in sections},
            "kind": {k["slug"]: k["id"] for k in kinds} | {BRIEF_KIND: BRIEF_KIND},
            "author": {a["slug"]: a["id"] for a in authors},
        }
        self.fields["section"] = self._choice("Section", "All sections",
                                              [(s["slug"], s["name"]) for s in sections])
        self.fields["kind"] = self._choice("Kind", "All kinds",
                                           [(k["slug"], k["name"]) for k in kinds]
                                           + [(BRIEF_KIND, "Briefs")])
        self.fields["author"] = self._choice("Author", "All authors",
                                             [(a["slug"], a["name"]) for a in authors])
        self.fields["from"] = _DateField("Published from")
        self.fields["to"] = _DateField("Published to")

    @staticmethod
    def _choice(label: str, blank: str, choices: list[tuple[str, str]]) -> forms.ChoiceField:
        return forms.ChoiceField(label=label, required=False, choices=[("", blank), *choices])

    def filters(self) -> Filters:
        """The valid filters (an invalid field counts as not set)."""
        self.is_valid()
        data = self.cleaned_data
        date_from, date_to = data.get("from"), data.get("to")
        if date_from and date_to and date_from > date_to:
            date_from, date_to = date_to, date_from
        return Filters(
            section_id=self._ids["section"].get(data.get("section") or ""),
            kind=self._ids["kind"].get(data.get("kind") or ""),
            author_id=self._ids["author"].get(data.get("author") or ""),
            date_from=date_from,
            date_to=date_to,
        )

    @property
    def active(self) -> bool:
        filters = self.filters()
        return any((filters.section_id, filters.kind, filters.author_id, filters.date_from,
                    filters.date_to))

