"""Thin bridges from publishing events to the search index.

Publishing indexes through a task enqueued on commit. Taking an item off the site removes it
from search at once, in the same transaction. A record rebuilt without a publish (an author's
or an image's edit re-renders it, already in the worker) is re-indexed where it is rebuilt.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished, published, unpublished

from masthead.discovery import tasks
from masthead.discovery.search import services

ARTICLE, BRIEF = services.ARTICLE, services.BRIEF


def on_article_published(sender, instance, **kwargs):
    page_id = instance.pk
    transaction.on_commit(lambda: tasks.index_article.enqueue(page_id))


def on_article_gone(sender, instance, **kwargs):
    services.entry_remove(item_type=ARTICLE, item_id=instance.pk)


def on_record_gone(sender, instance, **kwargs):
    services.entry_remove(item_type=ARTICLE, item_id=instance.page_id)


def on_record_saved(sender, instance, created, **kwargs):
    if not created:  # a first publish is indexed by its task
        services.entry_index_article(page_id=instance.page_id)


def on_brief_published(sender, instance, **kwargs):
    brief_id = instance.pk
    transaction.on_commit(lambda: tasks.index_brief.enqueue(brief_id))


def on_brief_gone(sender, instance, **kwargs):
    services.entry_remove(item_type=BRIEF, item_id=instance.pk)


def connect() -> None:
    from masthead.briefs.models import Brief
    from masthead.editorial.models import ArticlePage, PublishedArticle

    page_published.connect(on_article_published, sender=ArticlePage)
    page_unpublished.connect(on_article_gone, sender=ArticlePage)
    post_delete.connect(on_article_gone, sender=ArticlePage)
    post_save.connect(on_record_saved, sender=PublishedArticle)
    post_delete.connect(on_record_gone, sender=PublishedArticle)
    published.connect(on_brief_published, sender=Brief)
    unpublished.connect(on_brief_gone, sender=Brief)
    post_delete.connect(on_brief_gone, sender=Brief)
