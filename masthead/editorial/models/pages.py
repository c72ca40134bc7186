"""Wagtail page types: home, the article archive, articles and plain pages (About)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from masthead.core.blocks import ArticleBodyBlock
from masthead.core.text import clean_text
from masthead.editorial.permissions import DeskPermissionTester, section_refused


class HomePage(Page):
    """The front page. Its content comes from published articles; editors can pin a lead."""

    lead_article = models.ForeignKey(
        "editorial.ArticlePage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Optional: the lead story (else the newest article).",
    )
    content_panels = Page.content_panels + [FieldPanel("lead_article")]
    subpage_types = ["editorial.ArticleIndexPage", "editorial.StandardPage"]
    max_count = 1

    def serve(self, request, *args, **kwargs):
        from masthead.editorial.views import home

        return home(request)


class ArticleIndexPage(Page):
    """Holds every article (/articles/<slug>/) and serves the archive of all of them."""

    subpage_types = ["editorial.ArticlePage"]
    parent_page_types = ["editorial.HomePage"]
    max_count = 1

    def permissions_for_user(self, user):
        # Section desks hold their permissions here, but they are meant for articles only.
        return DeskPermissionTester(user, self)

    def serve(self, request, *args, **kwargs):
        from masthead.editorial.views import archive

        return archive(request)


class ArticlePageForm(WagtailAdminPageForm):
    """Drafts may be incomplete; publishing or submitting for review needs every required field.

    Wagtail defers model-required fields (dek, kind, section, top image, alt text, credit) when
    an editor saves a draft. Authors are an inline list, so they are checked here.
    """

    def is_valid(self):
        valid = super().is_valid()  # validates the inline formsets too
        if valid and not self.is_deferred_validation and not self._author_ids():
            self.add_error(None, "Add at least one author before publishing.")
            return False
        ids = self._author_ids()
        if valid and len(ids) != len(set(ids)):
            self.add_error(None, "An author appears twice in the byline; remove one.")
            return False
        return valid

    def clean(self):
        cleaned = super().clean()
        refused = section_refused(self.for_user, cleaned.get("section"))
        if refused:
            self.add_error("section", refused)
        return cleaned

    def _author_ids(self) -> list[int]:
        authors = self.formsets.get("authors")
        if authors is None:
            return [0]
        return [
            form.cleaned_data["author"].pk
            for form in authors.forms
            if getattr(form, "cleaned_data", None)
            and form.cleaned_data.get("author")
            and not form.cleaned_data.get("DELETE")
        ]


class ArticlePage(Page):
    """An article. What readers see comes from its PublishedArticle record, built at publish."""

    social_headline = models.CharField(
        max_length=120, blank=True, help_text="Optional shorter headline for shares and search."
    )
    dek = models.TextField(
        max_length=400,
        help_text="One sentence under the headline that says what the piece argues.",
    )
    kind = models.ForeignKey(
        "editorial.Kind", null=True, on_delete=models.PROTECT, related_name="articles"
    )
    section = models.ForeignKey(
        "editorial.Section",
        null=True,
        on_delete=models.PROTECT,
        related_name="articles",
        verbose_name="primary section",
    )
    other_sections = ParentalManyToManyField(
        "editorial.Section", blank=True, related_name="secondary_articles"
    )
    tags = ClusterTaggableManager(through="editorial.ArticlePageTag", blank=True)
    top_image = models.ForeignKey(
        "core.MastheadImage", null=True, on_delete=models.PROTECT, related_name="+"
    )
    top_image_alt = models.CharField(
        "top image alt text",
        max_length=255,
        help_text="What the image shows, for readers who cannot see it (this use only).",
    )
    top_image_credit = models.CharField(
        "top image credit",
        max_length=255,
        help_text="Shown as 'Top image credit: …'. Photographer, agency or source.",
    )
    top_image_caption = models.CharField(max_length=255, blank=True)
    body = StreamField(ArticleBodyBlock())
    display_updated_at = models.DateTimeField(
        "updated at",
        null=True,
        blank=True,
        help_text="Set when a published piece is materially updated; shown in the byline.",
    )

    base_form_class = ArticlePageForm
    parent_page_types = ["editorial.ArticleIndexPage"]
    subpage_types: list[str] = []

    content_panels = [
        FieldPanel("title", heading="Headline"),
        FieldPanel("dek"),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("section")], heading="Label"),
        InlinePanel("authors", heading="Byline", label="Author"),
        MultiFieldPanel(
            [
                FieldPanel("top_image"),
                FieldPanel("top_image_alt"),
                FieldPanel("top_image_credit"),
                FieldPanel("top_image_caption"),
            ],
            heading="Top image",
        ),
        FieldPanel("body"),
    ]
    meta_panels = [
        FieldPanel("other_sections"),
        FieldPanel("tags"),
        FieldPanel("social_headline"),
        FieldPanel("display_updated_at"),
    ]
    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading="Content"),
            ObjectList(meta_panels + Page.promote_panels, heading="Sections, tags and promotion"),
            ObjectList(Page.settings_panels, heading="Publishing"),
        ]
    )
    search_fields = Page.search_fields + [
        index.SearchField("dek"),
        index.SearchField("body"),
        index.FilterField("section"),
        index.FilterField("kind"),
    ]

    class Meta:
        verbose_name = "article"

    # Plain-text fields that travel into feeds, search and share metadata.
    clean_text_fields = ("title", "seo_title", "search_description", "social_headline", "dek",
                         "top_image_alt", "top_image_credit", "top_image_caption")

    def clean(self):
        # Control characters and lone surrogates pasted from elsewhere would break XML output.
        for name in self.clean_text_fields:
            setattr(self, name, clean_text(getattr(self, name)))
        super().clean()

    @property
    def headline(self) -> str:
        return self.title

    def get_preview_template(self, request, mode_name):
        return "editorial/article.html"

    def serve(self, request, *args, **kwargs):
        """Wagtail's own routing and previews: render live from this object."""
        from masthead.editorial.views import article_from_page

        return article_from_page(request, self)

    def serve_preview(self, request, mode_name):
        return self.serve(request)

    def permissions_for_user(self, user):
        # Section desks: editors whose permissions count only in their own sections.
        return DeskPermissionTester(user, self)

    def first_published_or_now(self):
        return self.first_published_at or timezone.now()


class ArticleAuthor(Orderable):
    page = ParentalKey(ArticlePage, related_name="authors", on_delete=models.CASCADE)
    author = models.ForeignKey("editorial.Author", on_delete=models.PROTECT, related_name="+")

    panels = [FieldPanel("author")]


class ArticlePageTag(TaggedItemBase):
    content_object = ParentalKey(ArticlePage, related_name="tagged_items", on_delete=models.CASCADE)


class StandardPage(Page):
    """A plain page such as About."""

    intro = models.TextField(blank=True)
    body = RichTextField(blank=True)
    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    parent_page_types = ["editorial.HomePage"]
    subpage_types: list[str] = []
    template = "editorial/standard.html"

    def serve(self, request, *args, **kwargs):
        from masthead.edge import keys

        response = super().serve(request, *args, **kwargs)
        response["xkey"] = " ".join([keys.page(self.pk), keys.SITE, keys.LATEST, keys.BRIEFS])
        return response

    def get_context(self, request, *args, **kwargs):
        from masthead.core import versioning
        from masthead.editorial.chrome import chrome

        context = super().get_context(request, *args, **kwargs)
        context.update(chrome(versioning.current()), page_title=self.title)
        return context
