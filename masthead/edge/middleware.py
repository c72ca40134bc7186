"""The edge of the app: who may cache a response, for how long, and the app's own page cache.

`EdgeMiddleware` is the outermost middleware. For every response it decides the caching policy:

* a reader page (its view named what it shows in an `xkey` header) requested anonymously with
  GET/HEAD and answered without cookies is public: browsers keep it `max-age` seconds (60, or
  what the view chose), shared caches `s-maxage` (PROXY_CACHE_SECONDS), because a change purges
  exactly the pages showing it (masthead.edge.services);
* anything asked with a session cookie or credentials, anything that sets a cookie, and anything
  that did not name its keys is `private, no-store` (static files and media keep their own
  long-lived headers).

Public pages are also kept in the app page cache for PAGE_CACHE_SECONDS under the current content
version (masthead.core.versioning), so no process serves a page older than the content it can
read. Two levels: each process keeps the responses themselves, ready to send, in its own memory
(PAGE_CACHE_LOCAL_BYTES, least recently used dropped first); behind that, when CACHE_URL names a
shared cache (Redis), the pages every process rendered. A hit in the first level costs no query
and no cache round trip.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpResponse

from masthead.core import versioning

NO_STORE = "private, no-store"
SAFE_METHODS = ("GET", "HEAD")
HIT_HEADER = "X-Masthead-Cache"


def _anonymous(request) -> bool:
    return (
        settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
    )


def _own_headers(path: str) -> bool:
    """Static files and uploads carry their own (long, immutable) caching headers."""
    return path.startswith((settings.STATIC_URL, settings.MEDIA_URL))


def apply_policy(request, response) -> bool:
    """Set Cache-Control on `response`; True if it may be stored by shared caches."""
    if _own_headers(request.path):
        return False
    public = (
        request.method in SAFE_METHODS
        and _anonymous(request)
        and "xkey" in response
        and response.status_code in (200, 304, 404, 410)
        and not response.cookies
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
    )
    if not public:
        if "xkey" in response:
            del response["xkey"]
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = NO_STORE
        return False
    browser = response.get("Cache-Control") or f"public, max-age={settings.BROWSER_CACHE_SECONDS}"
    if "s-maxage" not in browser:
        browser += f", s-maxage={settings.PROXY_CACHE_SECONDS}"
    response["Cache-Control"] = browser
    return True


def _cache_key(request, token: str) -> str | None:
    """The page cache key, or None for requests not worth keeping (searches, odd queries)."""
    return page_key(token, request.META.get("HTTP_HOST", ""), request.path,
                    request.META.get("QUERY_STRING", ""))


def page_key(token: str, host: str, path: str, query: str) -> str | None:
    if query and not (query.startswith("page=") and query[5:].isdigit()):
        return None
    return f"page:{token}:{host}:{path}?{query}"


class LocalPages:
    """Stored responses in this process's memory: bounded in bytes, least recently used first out.

    Keys carry the content version, so an entry of an older version is never asked for again and
    simply ages out; each entry also expires after PAGE_CACHE_SECONDS like the shared cache's.
    """

    def __init__(self):
        self._data: OrderedDict[str, tuple[float, int, tuple]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str):
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return None
            if entry[0] <= time.monotonic():
                self._drop(key)
                return None
            self._data.move_to_end(key)
            return entry[2]

    def set(self, key: str, stored: tuple, seconds: int) -> None:
        size = len(stored[2]) + sum(len(k) + len(v) for k, v in stored[1]) + len(key)
        limit = settings.PAGE_CACHE_LOCAL_BYTES
        if size > limit // 4:
            return
        with self._lock:
            if key in self._data:
                self._drop(key)
            self._data[key] = (time.monotonic() + seconds, size, stored)
            self._bytes += size
            while self._bytes > limit:
                self._drop(next(iter(self._data)))

    def _drop(self, key: str) -> None:
        self._bytes -= self._data.pop(key)[1]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0


local_pages = LocalPages()


def _shared():
    """The second level: Django's default cache, unless it is per-process memory too (then the
    first level is the whole page cache, and pages are not kept twice)."""
    backend = caches["default"]
    if settings.PAGE_CACHE_LOCAL_BYTES and isinstance(backend, LocMemCache):
        return None
    return backend


class EdgeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = None
        if (settings.PAGE_CACHE_SECONDS and request.method in SAFE_METHODS
                and _anonymous(request) and not _own_headers(request.path)):
            key = _cache_key(request, versioning.current())
            if key is not None:
                hit = local_pages.get(key) if settings.PAGE_CACHE_LOCAL_BYTES else None
                if hit is None and (shared := _shared()) is not None:
                    hit = shared.get(key)
                    if hit is not None and settings.PAGE_CACHE_LOCAL_BYTES:
                        local_pages.set(key, hit, settings.PAGE_CACHE_SECONDS)
                if hit is not None:
                    return _response_from(hit)
        response = self.get_response(request)
        if apply_policy(request, response) and key is not None and request.method == "GET" \
                and not response.streaming:
            response[HIT_HEADER] = "miss"
            stored = _stored(response)
            if settings.PAGE_CACHE_LOCAL_BYTES:
                local_pages.set(key, stored, settings.PAGE_CACHE_SECONDS)
            if (shared := _shared()) is not None:
                shared.set(key, stored, settings.PAGE_CACHE_SECONDS)
        return response


def _stored(response) -> tuple:
    headers = tuple((k, v) for k, v in response.items() if k != HIT_HEADER)
    return response.status_code, headers, response.content


def _response_from(stored: tuple) -> HttpResponse:
    status, headers, content = stored
    response = HttpResponse(content, status=status)
    # The headers were checked when the page was first answered: set them without doing it again.
    response.headers._store = {name.lower(): (name, value) for name, value in headers}
    response.headers._store["x-masthead-cache"] = (HIT_HEADER, "hit")
    return response
