"""Thin bridges from Wagtail and Django events to editorial services."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished

from masthead.core import versioning
from masthead.editorial import services, tasks
from masthead.editorial.models import ArticlePage, Author, Kind, Section


def on_article_published(sender, instance, **kwargs):
    services.article_record_publish(page_id=instance.pk)


def on_article_unpublished(sender, instance, **kwargs):
    services.article_record_remove(page_id=instance.pk)


def on_author_saved(sender, instance, **kwargs):
    ids = services.article_ids_by_author(instance.pk)
    if ids:
        transaction.on_commit(lambda: tasks.rerender_articles.enqueue(ids))
    versioning.bump()


def on_taxonomy_changed(sender, **kwargs):
    versioning.bump()


def on_page_changed(sender, **kwargs):
    versioning.bump()


def connect() -> None:
    page_published.connect(on_article_published, sender=ArticlePage)
    page_unpublished.connect(on_article_unpublished, sender=ArticlePage)
    # Other page types (home, About) only change site-wide data.
    page_published.connect(on_page_changed)
    page_unpublished.connect(on_page_changed)
    post_delete.connect(on_page_changed, sender=ArticlePage)
    post_save.connect(on_author_saved, sender=Author)
    for model in (Section, Kind):
        post_save.connect(on_taxonomy_changed, sender=model)
        post_delete.connect(on_taxonomy_changed, sender=model)
    post_delete.connect(on_taxonomy_changed, sender=Author)
