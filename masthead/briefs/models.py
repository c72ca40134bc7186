"""Briefs: short takes (the magazine's "kiosk"), with drafts, revisions and scheduling."""

from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.html import strip_tags
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, PublishingPanel
from wagtail.fields import RichTextField
from wagtail.models import DraftStateMixin, LockableMixin, RevisionMixin
from wagtail.search import index

from masthead.core.text import clean_text

MAX_WORDS = 250


def word_count(html: str) -> int:
    return len(strip_tags(html).split())


class BriefQuerySet(models.QuerySet):
    def live(self):
        return self.filter(live=True)

    def newest_first(self):
        return self.order_by("-first_published_at", "-pk")


class Brief(DraftStateMixin, LockableMixin, RevisionMixin, index.Indexed, ClusterableModel):
    headline = models.CharField(max_length=200)
    body = RichTextField(features=["bold", "italic", "link"], help_text=f"Up to {MAX_WORDS} words.")
    section = models.ForeignKey(
        "editorial.Section", on_delete=models.PROTECT, related_name="briefs"
    )
    tags = ClusterTaggableManager(through="briefs.BriefTag", blank=True)
    source_url = models.URLField("source link", blank=True)
    source_name = models.CharField(max_length=80, blank=True, help_text="e.g. the outlet's name.")
    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="brief")

    objects = BriefQuerySet.as_manager()

    panels = [
        FieldPanel("headline"),
        FieldPanel("body"),
        FieldPanel("section"),
        FieldPanel("tags"),
        FieldPanel("source_url"),
        FieldPanel("source_name"),
        PublishingPanel(),
    ]
    search_fields = [index.SearchField("headline"), index.SearchField("body")]

    class Meta:
        ordering = ["-first_published_at", "-pk"]
        indexes = [models.Index(fields=["live", "-first_published_at"], name="brief_live_recent")]

    def __str__(self) -> str:
        return self.headline

    def clean(self):
        # Control characters and lone surrogates pasted from elsewhere would break XML output.
        for name in ("headline", "body", "source_url", "source_name"):
            setattr(self, name, clean_text(getattr(self, name)))
        super().clean()
        words = word_count(self.body or "")
        if words > MAX_WORDS:
            raise ValidationError(
                {"body": f"A brief is at most {MAX_WORDS} words; this one has {words}."}
            )

    @property
    def revisions(self):
        return self._revisions

    @property
    def anchor(self) -> str:
        return f"brief-{self.pk}"

    @property
    def url(self) -> str:
        return f"/briefs/#{self.anchor}"


class BriefTag(TaggedItemBase):
    content_object = ParentalKey(Brief, related_name="tagged_items", on_delete=models.CASCADE)
