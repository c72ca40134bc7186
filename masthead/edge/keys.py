"""The cache keys pages name in their `xkey` header, in one place.

A page lists a key for everything it shows; a change purges the keys of what it changed. Every
reader page shows the chrome (`site`: settings, sections, kinds; `latest`; `briefs`), so
purging one of those refreshes every page, which is exact: every page shows it.
"""

from __future__ import annotations

SITE = "site"  # magazine settings, social links, sections and kinds: every page
LATEST = "latest"  # the LATEST list: every page
BRIEFS = "briefs"  # the newest briefs in the sidebar, and the briefs stream
HOME = "home"
ARCHIVE = "archive"
SEARCH = "search"
SITEMAP = "sitemap"
FEED = "feed"


def article(page_id: int) -> str:
    return f"article-{page_id}"


def brief(brief_id: int) -> str:
    return f"brief-{brief_id}"


def page(page_id: int) -> str:
    return f"page-{page_id}"


def section(section_id: int) -> str:
    return f"section-{section_id}"


def kind(kind_id: int) -> str:
    return f"kind-{kind_id}"


def tag(tag_id: int) -> str:
    return f"tag-{tag_id}"


def author(author_id: int) -> str:
    return f"author-{author_id}"
