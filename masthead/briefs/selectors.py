"""Reads of live briefs for the sidebar, the stream page and feeds."""

from __future__ import annotations

from masthead.briefs import rendering
from masthead.briefs.models import Brief
from masthead.core import versioning

SIDEBAR_COUNT = 5
BRIEF_FIELDS = (
    "id", "headline", "body", "section_id", "source_url", "source_name", "first_published_at"
)


def newest_briefs(token: str, *, count: int = SIDEBAR_COUNT) -> list[dict]:
    return versioning.cached(
        ("briefs", count),
        lambda: list(Brief.objects.live().newest_first().values(*BRIEF_FIELDS)[:count]),
        token=token,
    )


def briefs_page(number: int, size: int) -> tuple[list[dict], bool]:
    """One page of the stream; each row's `body_html` is its body made safe for readers."""
    start = (number - 1) * size
    rows = list(
        Brief.objects.live().newest_first().values(*BRIEF_FIELDS)[start : start + size + 1]
    )
    page = rows[:size]
    for row, html in zip(page, rendering.bodies_html([r["body"] for r in page]), strict=True):
        row["body_html"] = html
    return page, len(rows) > size
