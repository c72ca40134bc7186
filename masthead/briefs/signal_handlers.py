"""A brief published, unpublished or deleted changes the briefs on every page."""

from django.db.models.signals import post_delete
from wagtail.signals import published, unpublished

from masthead.core import versioning


def on_brief_changed(sender, **kwargs):
    versioning.bump()


def connect() -> None:
    from masthead.briefs.models import Brief

    published.connect(on_brief_changed, sender=Brief)
    unpublished.connect(on_brief_changed, sender=Brief)
    post_delete.connect(on_brief_changed, sender=Brief)
