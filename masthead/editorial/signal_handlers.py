"""Thin bridges from Wagtail and Django events to editorial services and cache invalidation."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from wagtail.signals import page_published, page_unpublished

from masthead.edge import keys
from masthead.edge.services import invalidate
from masthead.editorial import services, tasks
from masthead.editorial.models import ArticlePage, Author, HomePage, Kind, Section


def on_article_published(sender, instance, **kwargs):
    services.article_record_publish(page_id=instance.pk)


def on_article_unpublished(sender, instance, **kwargs):
    services.article_record_remove(page_id=instance.pk)


def on_author_saved(sender, instance, **kwargs):
    ids = services.article_ids_by_author(instance.pk)
    if ids:  # bylines are stored in each record: re-render them (each purges its own pages)
        transaction.on_commit(lambda: tasks.rerender_articles.enqueue(ids))
    invalidate([keys.author(instance.pk)])


def on_author_deleted(sender, instance, **kwargs):
    invalidate([keys.author(instance.pk)])


def on_taxonomy_changed(sender, **kwargs):
    # Section and kind names are in every page's navigation and story labels.
    invalidate([keys.SITE])
    on_site_values_changed(sender)


def on_site_values_changed(sender, **kwargs):
    """Articles store their <article> element and metadata rendered with section and kind
    names and the site's identity: render those again (pages render them live meanwhile)."""
    transaction.on_commit(tasks.refresh_article_html.enqueue)


def on_article_deleted(sender, instance, **kwargs):
    services.article_record_remove(page_id=instance.pk)


def on_page_changed(sender, instance, **kwargs):
    """Other pages (home, About): only the page itself, and the home page's lead choice."""
    if isinstance(instance, ArticlePage):
        return  # handled above, with the article's own keys
    names = [keys.page(instance.pk), keys.SITEMAP]
    if isinstance(instance, HomePage):
        names.append(keys.HOME)
    invalidate(names)


def connect() -> None:
    page_published.connect(on_article_published, sender=ArticlePage)
    page_unpublished.connect(on_article_unpublished, sender=ArticlePage)
    # Before the delete cascades to the record: its placement names the pages to purge.
    pre_delete.connect(on_article_deleted, sender=ArticlePage)
    for signal in (page_published, page_unpublished):
        signal.connect(on_page_changed)
    post_save.connect(on_author_saved, sender=Author)
    post_delete.connect(on_author_deleted, sender=Author)
    for model in (Section, Kind):
        post_save.connect(on_taxonomy_changed, sender=model)
        post_delete.connect(on_taxonomy_changed, sender=model)
    from masthead.core.models import MagazineSettings, SocialLink

    for model in (MagazineSettings, SocialLink):
        post_save.connect(on_site_values_changed, sender=model)
        post_delete.connect(on_site_values_changed, sender=model)
