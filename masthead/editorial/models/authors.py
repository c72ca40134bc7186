"""Authors: staff and contributors, with a bio, photo, social links and their own page."""

from django.db import models
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.models import Orderable
from wagtail.search import index


class Author(index.Indexed, ClusterableModel):
    class Role(models.TextChoices):
        STAFF = "staff", "Staff"
        CONTRIBUTOR = "contributor", "Contributor"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CONTRIBUTOR)
    title = models.CharField(
        max_length=120, blank=True, help_text="e.g. 'Europe editor' or 'Former diplomat'."
    )
    bio = models.TextField(blank=True, help_text="Two or three sentences, shown under articles.")
    photo = models.ForeignKey(
        "core.MastheadImage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.OneToOneField(
        "auth.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="author_profile",
        help_text="The admin account of this author, if they write in Masthead themselves.",
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("role"),
        FieldPanel("title"),
        FieldPanel("bio"),
        FieldPanel("photo"),
        FieldPanel("user"),
        InlinePanel("links", heading="Social links", label="Link"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return f"/authors/{self.slug}/"


class AuthorLink(Orderable):
    author = ParentalKey(Author, related_name="links", on_delete=models.CASCADE)
    label = models.CharField(max_length=40, help_text="e.g. Mastodon, Bluesky, Website.")
    url = models.URLField()

    panels = [FieldPanel("label"), FieldPanel("url")]
