"""Site-wide data changed: settings, social links, images. Bump the content version."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from masthead.edge import keys
from masthead.edge.services import invalidate


def on_settings_changed(sender, **kwargs):
    invalidate([keys.SITE])  # name, logo, social links: on every page, feed and sitemap


def on_image_saved(sender, instance, created=False, **kwargs):
    if created:
        return
    from masthead.editorial import services, tasks

    ids = services.article_ids_by_image(instance.pk)
    if ids:
        transaction.on_commit(lambda: tasks.rerender_articles.enqueue(ids))


def connect() -> None:
    from masthead.core.models import MagazineSettings, MastheadImage, SocialLink

    for model in (MagazineSettings, SocialLink):
        post_save.connect(on_settings_changed, sender=model)
        post_delete.connect(on_settings_changed, sender=model)
    post_save.connect(on_image_saved, sender=MastheadImage)
