"""Background work for discovery. Tasks take ids, refetch, and are safe to run twice."""

from django_tasks import task

from masthead.discovery.search import services


@task()
def index_article(page_id: int) -> bool:
    return services.entry_index_article(page_id=page_id)


@task()
def index_brief(brief_id: int) -> bool:
    return services.entry_index_brief(brief_id=brief_id)
