"""Site-wide models: the image library with credits, site settings and the content version."""

from django.db import models
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.images.models import AbstractImage, AbstractRendition, Image
from wagtail.models import Orderable


class MastheadImage(AbstractImage):
    """An image in the library. `credit` is the default credit offered when the image is used."""

    credit = models.CharField(
        max_length=255,
        blank=True,
        help_text="Photographer, agency or source, e.g. 'Photo: A. Smith / Agency'.",
    )
    admin_form_fields = Image.admin_form_fields + ("credit",)

    class Meta(AbstractImage.Meta):
        verbose_name = "image"
        permissions = [("choose_image", "Can choose image")]


class MastheadRendition(AbstractRendition):
    image = models.ForeignKey(MastheadImage, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)


@register_setting(icon="site")
class MagazineSettings(ClusterableModel, BaseGenericSetting):
    """The magazine's name, tagline, logo and social profiles ("Follow us on social")."""

    name = models.CharField(max_length=120, default="The Meridian Review")
    tagline = models.CharField(max_length=255, blank=True)
    logo = models.ForeignKey(
        MastheadImage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    newsletter_pitch = models.CharField(
        max_length=255,
        blank=True,
        default="Our weekly round-up of staff analysis, opinion and news, every Friday.",
    )
    footer_note = models.CharField(max_length=255, blank=True)

    panels = [
        MultiFieldPanel(
            [FieldPanel("name"), FieldPanel("tagline"), FieldPanel("logo")], heading="Masthead"
        ),
        FieldPanel("newsletter_pitch"),
        FieldPanel("footer_note"),
        InlinePanel("social_links", heading="Follow us on social", label="Social profile"),
    ]

    class Meta:
        verbose_name = "Magazine settings"


class SocialLink(Orderable):
    settings = ParentalKey(MagazineSettings, related_name="social_links", on_delete=models.CASCADE)
    network = models.CharField(
        max_length=40, help_text="Shown to readers, e.g. Mastodon, Bluesky, LinkedIn."
    )
    url = models.URLField()

    panels = [FieldPanel("network"), FieldPanel("url")]

    def __str__(self) -> str:
        return self.network


class ContentVersion(models.Model):
    """One row whose token changes whenever anything a reader sees changes.

    Per-process caches of site-wide data, LATEST, briefs and related stories are keyed by this
    token, so a publish on any process (or the worker) invalidates them everywhere. A random token
    rather than a counter: a counter can repeat after a rollback and serve a stale entry.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)
