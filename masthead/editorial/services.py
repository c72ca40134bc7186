"""Writes for the editorial app: keep PublishedArticle in step with what is live."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, Q

from masthead.core import images
from masthead.edge import keys as cache_keys
from masthead.edge.services import invalidate
from masthead.editorial import article_html, rendering
from masthead.editorial.models import (
    ArticlePage,
    PublishedArticle,
    PublishedArticleAuthor,
    PublishedArticleSection,
    PublishedArticleTag,
)

logger = logging.getLogger(__name__)


def _load(page_id: int) -> ArticlePage | None:
    return (
        ArticlePage.objects.select_related("top_image", "kind", "section")
        .prefetch_related("authors__author__photo", "tags", "other_sections")
        .filter(pk=page_id)
        .first()
    )


def article_record_fields(page: ArticlePage) -> dict:
    """Everything a reader sees of `page`, rendered now (also used for previews)."""
    body = rendering.render_body(page.body)
    first, more = rendering.card_parts(body)
    authors = [rendering.author_entry(a.author) for a in page.authors.all()]
    alt = page.top_image_alt or ""
    return {
        "slug": page.slug,
        "url": f"/articles/{page.slug}/",
        "headline": page.title,
        "social_headline": page.social_headline,
        "dek": page.dek,
        "kind_id": page.kind_id,
        "section_id": page.section_id,
        "published_at": page.first_published_or_now(),
        "updated_at": page.display_updated_at,
        "authors": authors,
        "tags": [{"id": t.pk, "name": t.name, "slug": t.slug} for t in page.tags.all()],
        "image_html": images.picture_html(page.top_image, alt=alt, lazy=False),
        "card_image_html": rendering.card_image_html(page.top_image, alt),
        "image_url": images.image_url(page.top_image),
        "image_alt": alt,
        "image_credit": page.top_image_credit or "",
        "image_caption": page.top_image_caption or "",
        "image_id": page.top_image_id,
        "body_html": body.html,
        "first_paragraph_html": first,
        "more_paragraphs_html": more,
        "word_count": body.word_count,
    }


def article_record_publish(*, page_id: int) -> PublishedArticle | None:
    """Build (or rebuild) the reader record of a live article. Safe to run twice."""
    page = _load(page_id)
    if page is None or not page.live:
        article_record_remove(page_id=page_id)
        return None
    fields = article_record_fields(page)
    fields.update(article_html.stored_fields(fields))
    with transaction.atomic():
        before = _placement(page.pk)
        record, _ = PublishedArticle.objects.update_or_create(page_id=page.pk, defaults=fields)
        _write_join_rows(record, page)
        invalidate(_changed_keys(page.pk, before, _placement(page.pk)))
    return record


def _placement(page_id: int) -> dict | None:
    """Where an article is listed: what decides which listing pages show it, and in what order."""
    row = PublishedArticle.objects.filter(page_id=page_id).values(
        "published_at", "kind_id", "slug").first()
    if row is None:
        return None
    row["sections"] = set(PublishedArticleSection.objects.filter(article_id=page_id)
                          .values_list("section_id", flat=True))
    row["tags"] = set(PublishedArticleTag.objects.filter(article_id=page_id)
                      .values_list("tag_id", flat=True))
    row["authors"] = set(PublishedArticleAuthor.objects.filter(article_id=page_id)
                         .values_list("author_id", flat=True))
    row["in_latest"] = page_id in _latest_ids()
    return row


def _latest_ids() -> set[int]:
    from masthead.editorial.selectors import LATEST_COUNT, newest

    return set(newest().values_list("page_id", flat=True)[:LATEST_COUNT])


def _listing_keys(placement: dict) -> set[str]:
    return (
        {cache_keys.kind(placement["kind_id"])}
        | {cache_keys.section(s) for s in placement["sections"]}
        | {cache_keys.tag(t) for t in placement["tags"]}
        | {cache_keys.author(a) for a in placement["authors"]}
    )


def _changed_keys(page_id: int, before: dict | None, after: dict | None) -> set[str]:
    """The cache keys to purge when an article's record goes from `before` to `after`.

    Every page showing the article's card or page names `article-<id>`. When the article enters
    or leaves a listing, or moves within listings (a new date), the listings' own keys go too;
    the LATEST list (on every page) only when the article is or was in it.
    """
    keys = {cache_keys.article(page_id), cache_keys.SITEMAP}
    moved = (before is None or after is None
             or any(before[f] != after[f] for f in
                    ("published_at", "kind_id", "slug", "sections", "tags", "authors")))
    if moved:
        keys |= {cache_keys.HOME, cache_keys.ARCHIVE}
        for placement in (before, after):
            if placement is not None:
                keys |= _listing_keys(placement)
    if any(p is not None and p["in_latest"] for p in (before, after)):
        keys.add(cache_keys.LATEST)
    return keys


def _write_join_rows(record: PublishedArticle, page: ArticlePage) -> None:
    when = record.published_at
    section_ids = [page.section_id] + [s.pk for s in page.other_sections.all()]
    PublishedArticleSection.objects.filter(article=record).delete()
    PublishedArticleSection.objects.bulk_create(
        PublishedArticleSection(article=record, section_id=sid, published_at=when)
        for sid in dict.fromkeys(section_ids)
    )
    PublishedArticleTag.objects.filter(article=record).delete()
    PublishedArticleTag.objects.bulk_create(
        PublishedArticleTag(article=record, tag=tag, published_at=when) for tag in page.tags.all()
    )
    PublishedArticleAuthor.objects.filter(article=record).delete()
    PublishedArticleAuthor.objects.bulk_create(
        PublishedArticleAuthor(article=record, author_id=author_id, published_at=when)
        for author_id in dict.fromkeys(a.author_id for a in page.authors.all())
    )


def article_record_remove(*, page_id: int) -> None:
    """Take an article off every reader page (unpublished or deleted)."""
    with transaction.atomic():
        before = _placement(page_id)
        deleted, _ = PublishedArticle.objects.filter(page_id=page_id).delete()
        if deleted:
            invalidate(_changed_keys(page_id, before, None))


def article_records_repair() -> list[int]:
    """Bring records back in step with what is live after a crash; the page ids repaired.

    Wagtail commits a publish (the page's new live revision) and only then sends
    `page_published`, whose receiver writes the record in a transaction of its own; unpublishing
    is the same. A process killed, or a database lost, between the two leaves a live page with
    no record or one older than the publish (`rendered_at` before `last_published_at`), or a
    record of a page that is no longer live. The worker's clock calls this now and then;
    repairing twice, or alongside the publish itself, is harmless.
    """
    stale = list(
        ArticlePage.objects.filter(live=True)
        .filter(Q(record__isnull=True) | Q(record__rendered_at__lt=F("last_published_at")))
        .values_list("pk", flat=True)
    )
    orphaned = list(
        PublishedArticle.objects.filter(page__live=False).values_list("page_id", flat=True)
    )
    repairs = [(pk, article_record_publish) for pk in stale]
    repairs += [(pk, article_record_remove) for pk in orphaned]
    repaired = []
    for page_id, repair in repairs:
        try:
            repair(page_id=page_id)
        except Exception:  # one page that cannot be rendered must not hold up the others
            logger.exception("could not repair the record of page %s", page_id)
        else:
            repaired.append(page_id)
    if repaired:
        logger.warning("repaired the records of pages %s (left out of step by a crash)",
                       repaired)
    return repaired


def articles_rerender(*, page_ids: Iterable[int]) -> int:
    """Re-render records after something they show changed (an author, an image credit)."""
    count = 0
    for page_id in page_ids:
        if article_record_publish(page_id=page_id) is not None:
            count += 1
    return count


def article_ids_by_author(author_id: int) -> list[int]:
    return list(
        PublishedArticleAuthor.objects.filter(author_id=author_id).values_list(
            "article_id", flat=True
        )
    )


def article_ids_by_image(image_id: int) -> list[int]:
    return list(PublishedArticle.objects.filter(image_id=image_id).values_list("pk", flat=True))


def article_html_refresh(*, batch: int = 500, progress=None) -> int:
    """Render again the stored <article> and metadata fragments of every record whose key is
    not current (after a section, kind or site setting changed, a template changed in a
    deploy, or for records written before fragments were stored); the number refreshed.

    A record published meanwhile is left as its publish wrote it: each row is updated only if
    it is still the one read (same `rendered_at`). `progress` (a tqdm bar) follows the batches.
    """
    from masthead.editorial.selectors import ARTICLE_FIELDS

    values = article_html.site_values()
    site, sections, kinds = values
    keys: dict = {}

    def current(section_id, kind_id):
        if (section_id, kind_id) not in keys:
            keys[section_id, kind_id] = article_html.key(site, sections.get(section_id),
                                                         kinds.get(kind_id))
        return keys[section_id, kind_id]

    stale = [page_id for page_id, section_id, kind_id, stored in
             PublishedArticle.objects.order_by("page_id").values_list(
                 "page_id", "section_id", "kind_id", "html_key").iterator(chunk_size=5000)
             if stored != current(section_id, kind_id)]
    refreshed = 0
    if progress is not None:
        progress.total = len(stale)
    for start in range(0, len(stale), batch):
        chunk = stale[start:start + batch]
        rows = PublishedArticle.objects.filter(page_id__in=chunk).values(
            "page_id", "rendered_at", *ARTICLE_FIELDS)
        with transaction.atomic():
            for row in rows:
                fields = article_html.stored_fields(row, values)
                refreshed += PublishedArticle.objects.filter(
                    page_id=row["page_id"], rendered_at=row["rendered_at"]).update(**fields)
        if progress is not None:
            progress.update(len(chunk))
    return refreshed

