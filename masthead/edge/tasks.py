"""Background work for the edge app: purges, sent by the worker after a change commits."""

from django_tasks import task

from masthead.edge import services


@task()
def purge_keys(keys: list[str]) -> int:
    return services.purge(list(keys))
