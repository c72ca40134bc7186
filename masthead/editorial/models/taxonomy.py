"""Sections (regions, each with a front page) and kinds (Analysis, Opinion, ...)."""

from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.search import index


class Section(index.Indexed, models.Model):
    """A regional section such as Europe. Its front lives at /section/<slug>/."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True, help_text="One or two sentences for the front.")
    sort_order = models.PositiveSmallIntegerField(default=0)
    lead_article = models.ForeignKey(
        "editorial.ArticlePage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Optional: the story shown first on the section front (else the newest).",
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldPanel("sort_order"),
        FieldPanel("lead_article"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return f"/section/{self.slug}/"


class Kind(models.Model):
    """What a piece is: Analysis, Opinion, News, Reporting, Interview, Review."""

    name = models.CharField(max_length=40, unique=True)
    slug = models.SlugField(max_length=40, unique=True)
    description = models.TextField(blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    in_round_up = models.BooleanField(
        default=True, help_text="Include this kind in the weekly newsletter round-up."
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldPanel("sort_order"),
        FieldPanel("in_round_up"),
    ]

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return f"/kind/{self.slug}/"
