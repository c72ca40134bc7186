"""A brief's body as readers get it, whichever road its text took into the database.

The admin's editor limits what can be typed, but a body can also be written by code: a script,
`Brief.objects.create(...)`, `bulk_create` or `update()`, an import, the demo loader, a restored
backup. None of those pass a form, and `bulk_create`/`update()` skip `save()` too, so the
body is cleaned where it is shown rather than where it is stored: internal links are expanded,
then the HTML is reduced to the reader allow-list (`masthead.security.sanitize`: no script,
no event handler, links only to http(s), mailto and this site). The stream page is cached
whole (masthead.edge), so this runs once per page per content version.
"""

from __future__ import annotations

import uuid

from wagtail.rich_text import expand_db_html

from masthead.security.sanitize import rich_text_html


def body_html(body: str) -> str:
    """One brief's stored body as safe reader HTML."""
    return rich_text_html(expand_db_html(body or ""))


def bodies_html(bodies: list[str]) -> list[str]:
    """Many bodies at once: their internal links are expanded in one pass (a query per link
    type, not per brief), each is then cleaned on its own."""
    if not bodies:
        return []
    marker = f"<!--brief-{uuid.uuid4().hex}-->"
    expanded = expand_db_html(marker.join(body or "" for body in bodies)).split(marker)
    if len(expanded) != len(bodies):  # a body broke the marker: expand one by one
        expanded = [expand_db_html(body or "") for body in bodies]
    return [rich_text_html(html) for html in expanded]
