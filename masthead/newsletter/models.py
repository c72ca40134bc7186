"""The weekly round-up: subscribers, their consent history, issues and per-recipient deliveries.

See CONTEXT.md for the words (pending, confirmed, delivery, lease...).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained"

    email = models.EmailField(max_length=254, unique=True, help_text="Stored lower-cased.")
    name = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    source = models.CharField(max_length=40, blank=True, help_text="Where they signed up.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(Lower("email"), name="subscriber_email_ci")]

    def __str__(self) -> str:
        return self.email

    @property
    def receives_issues(self) -> bool:
        return self.status == self.Status.CONFIRMED


class ConsentEvent(models.Model):
    """Append-only: rows are created, never updated or deleted by the application."""

    class Kind(models.TextChoices):
        SIGNUP = "signup", "Signed up"
        CONFIRM = "confirm", "Confirmed"
        UNSUBSCRIBE = "unsubscribe", "Unsubscribed"
        BOUNCE = "bounce", "Bounced"
        COMPLAINT = "complaint", "Complained"
        IMPORT = "import", "Imported"
        RESUBSCRIBE = "resubscribe", "Signed up again"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    source = models.CharField(max_length=80, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    wording = models.TextField(blank=True, help_text="The exact text the person agreed to.")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["ip", "at"], name="consent_ip_recent"),
            models.Index(fields=["subscriber", "kind", "at"], name="consent_subscriber_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class Issue(ClusterableModel):
    """One edition of the weekly round-up."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        PAUSED = "paused", "Paused"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    subject = models.CharField(max_length=200)
    preheader = models.CharField(max_length=200, blank=True,
                                 help_text="The line inbox previews show after the subject.")
    introduction = models.TextField(blank=True)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.CharField(max_length=255, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    drafted_for = models.DateField(null=True, blank=True, unique=True,
                                   help_text="The sending day the worker drafted this issue for.")
    send_lease_until = models.DateTimeField(
        null=True, blank=True,
        help_text="While sending: the send loop renews this; once it lapses the clock restarts it.",
    )
    failures = models.PositiveIntegerField(
        default=0, help_text="Failed delivery attempts since sending started or last resumed."
    )
    test_sent_at = models.DateTimeField(null=True, blank=True)
    test_sent_to = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["-period_end"]

    def __str__(self) -> str:
        return self.subject


class IssueItem(Orderable):
    """A story in an issue: an article or a brief, in the order editors chose."""

    issue = ParentalKey(Issue, on_delete=models.CASCADE, related_name="items")
    article = models.ForeignKey("editorial.ArticlePage", null=True, blank=True,
                                on_delete=models.CASCADE, related_name="+")
    brief = models.ForeignKey("briefs.Brief", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+")

    class Meta(Orderable.Meta):
        constraints = [
            models.CheckConstraint(
                condition=models.Q(article__isnull=False, brief__isnull=True)
                | models.Q(article__isnull=True, brief__isnull=False),
                name="issueitem_article_xor_brief",
            )
        ]

    def clean(self):
        if bool(self.article_id) == bool(self.brief_id):
            raise ValidationError("Choose either an article or a brief for each story.")


class Delivery(models.Model):
    """One issue to one subscriber. The queue only drives the loop; this table is the truth."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent (accepted by the mail server)"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (unsubscribed during the send)"

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "subscriber"], name="delivery_once")
        ]
        indexes = [models.Index(fields=["issue", "status", "lease_until"], name="delivery_claim")]
