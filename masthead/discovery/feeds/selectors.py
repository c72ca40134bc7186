"""Reads for feeds: the newest records of a listing, in a fixed number of queries.

Articles come from PublishedArticle and its join tables (which copy `published_at`, so each
listing is read from one composite index); briefs from the live Brief rows. Nothing is read
per item: a feed of 20 costs what a feed of 2 does.
"""

from __future__ import annotations

from collections import defaultdict

from masthead.briefs.models import Brief, BriefTag
from masthead.briefs.selectors import BRIEF_FIELDS
from masthead.discovery.feeds.scopes import Listing
from masthead.editorial.models import (
    PublishedArticle,
    PublishedArticleAuthor,
    PublishedArticleSection,
    PublishedArticleTag,
)
from masthead.editorial.selectors import newest

ARTICLE_FIELDS = (
    "page_id",
    "url",
    "headline",
    "dek",
    "kind_id",
    "section_id",
    "published_at",
    "updated_at",
    "authors",
    "tags",
    "image_url",
    "image_alt",
    "image_credit",
)
JOIN_TABLES = {
    "section": (PublishedArticleSection, "section_id"),
    "tag": (PublishedArticleTag, "tag_id"),
    "authors": (PublishedArticleAuthor, "author_id"),
}


def newest_articles(listing: Listing, count: int) -> list[dict]:
    """The listing's `count` newest article records, newest first (body only for full text)."""
    fields = ARTICLE_FIELDS + (("body_html",) if listing.full_content else ())
    if listing.scope == "kind":
        return list(newest(PublishedArticle.objects.filter(kind_id=listing.id))[:count]
                    .values(*fields))
    if listing.scope not in JOIN_TABLES:
        return list(newest()[:count].values(*fields))
    model, column = JOIN_TABLES[listing.scope]
    ids = list(
        model.objects.filter(**{column: listing.id})
        .order_by("-published_at", "-article_id")
        .values_list("article_id", flat=True)[:count]
    )
    rows = {r["page_id"]: r for r in PublishedArticle.objects.filter(page_id__in=ids)
            .values(*fields)}
    return [rows[i] for i in ids if i in rows]


def newest_briefs(count: int) -> list[dict]:
    """The `count` newest live briefs, each with its tags ([{name, slug}]): two queries."""
    rows = list(
        Brief.objects.live().newest_first().values(*BRIEF_FIELDS, "last_published_at")[:count]
    )
    tags: dict[int, list[dict]] = defaultdict(list)
    if rows:
        pairs = (
            BriefTag.objects.filter(content_object_id__in=[r["id"] for r in rows])
            .order_by("tag__name")
            .values_list("content_object_id", "tag__name", "tag__slug")
        )
        for brief_id, name, slug in pairs:
            tags[brief_id].append({"name": name, "slug": slug})
    for row in rows:
        row["tags"] = tags[row["id"]]
    return rows
