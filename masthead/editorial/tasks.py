"""Background work for the editorial app. Tasks take ids, refetch, and are safe to run twice."""

from django_tasks import task

from masthead.editorial import services


@task()
def rerender_articles(page_ids: list[int]) -> int:
    return services.articles_rerender(page_ids=page_ids)


@task()
def refresh_article_html() -> int:
    """After a section, kind or site setting changed: the records' stored fragments."""
    return services.article_html_refresh()
