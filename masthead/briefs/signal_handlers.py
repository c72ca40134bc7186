"""A brief published, unpublished or deleted changes the briefs on every page."""

from django.db.models.signals import post_delete
from wagtail.signals import published, unpublished

from masthead.edge import keys
from masthead.edge.services import invalidate


def on_brief_changed(sender, instance, **kwargs):
    # The newest briefs are in every page's sidebar; the stream and the briefs feed too.
    invalidate([keys.BRIEFS, keys.brief(instance.pk)])


def connect() -> None:
    from masthead.briefs.models import Brief

    published.connect(on_brief_changed, sender=Brief)
    unpublished.connect(on_brief_changed, sender=Brief)
    post_delete.connect(on_brief_changed, sender=Brief)
