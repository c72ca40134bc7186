"""Background work for the edge app: purges, sent by the worker after a change commits."""

import time

from django_tasks import task

from masthead.edge import services


@task()
def purge_keys(keys: list[str], not_before: float | None = None) -> int:
    """Purge `keys` on every proxy node, not before the wall-clock time `not_before`.

    A change is queued when it commits; app processes may serve what they held for up to
    CONTENT_VERSION_SECONDS after that (masthead.core.versioning). Purging earlier would let a
    proxy fetch, and keep, a page from before the change.
    """
    if not_before is not None:
        wait = min(not_before - time.time(), 5.0)
        if wait > 0:
            time.sleep(wait)
    return services.purge(list(keys))
