"""The app page cache switched on for a test module, and what it holds.

    from tests.pagecache import page_cache, page_cache_keys  # noqa: F401 (autouse fixture)
"""

import pytest
from django.core.cache import cache

from masthead.edge.middleware import local_pages


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 300
    cache.clear()
    local_pages.clear()
    yield
    cache.clear()
    local_pages.clear()


def page_cache_keys() -> list[str]:
    """Keys of every stored page: this process's own level and Django's cache (as locmem
    stores them; in the production-profile session Redis holds the shared level)."""
    return [*local_pages._data, *(k for k in getattr(cache, "_cache", {}) if ":page:" in k)]
