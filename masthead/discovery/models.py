"""The reader search index: one SearchEntry per live article or brief.

The row holds what a result shows (headline, byline, labels, date, URL) and the plain text that
is searched. The database keeps a full-text index of it in step by itself: on SQLite, FTS5 tables
maintained by triggers; on PostgreSQL, stored tsvector columns with GIN indexes. Both are created
by this app's migrations (see docs/search.md); the model does not declare them.

Glossary:
- entry: a row here; exists exactly while its article or brief is live.
- facets: filter tokens ("section3 kind2 author12 typearticle"), matched by the text index so
  that filters combine with the query inside one index lookup.
- entry id: not a counter but a sort key, `published second × 1024 + slot`, so "newest first"
  is the index's own order and a date range is an id range.
"""

from django.db import models


class SearchEntry(models.Model):
    class ItemType(models.TextChoices):
        ARTICLE = "article", "Article"
        BRIEF = "brief", "Brief"

    id = models.BigIntegerField(primary_key=True)
    item_type = models.CharField(max_length=8, choices=ItemType.choices)
    item_id = models.BigIntegerField()
    url = models.CharField(max_length=300)
    headline = models.CharField(max_length=255)
    dek = models.TextField(blank=True)
    body = models.TextField(blank=True)
    author_names = models.TextField(blank=True)
    tag_names = models.TextField(blank=True)
    facets = models.TextField(blank=True)
    # [{name, url}] for the result's byline.
    byline = models.JSONField(default=list)
    section_id = models.BigIntegerField(null=True, blank=True)
    kind_id = models.BigIntegerField(null=True, blank=True)
    published_at = models.DateTimeField()
    # A hash of everything above but the id: an unchanged item is not rewritten.
    digest = models.CharField(max_length=32)

    class Meta:
        verbose_name_plural = "search entries"
        constraints = [
            models.UniqueConstraint(fields=["item_type", "item_id"], name="search_entry_item"),
        ]

    def __str__(self) -> str:
        return f"{self.item_type} {self.item_id}: {self.headline}"
