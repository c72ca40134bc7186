"""The edge of the app: who may cache a response, for how long, and the app's own page cache.

`EdgeMiddleware` is the outermost middleware. For every response it decides the caching policy:

* a reader page (its view named what it shows in an `xkey` header) requested anonymously with
  GET/HEAD and answered without cookies is public: browsers keep it `max-age` seconds (60, or
  what the view chose), shared caches `s-maxage` (PROXY_CACHE_SECONDS), because a change purges
  exactly the pages showing it (masthead.edge.services);
* anything asked with a session cookie or credentials, anything that sets a cookie, and anything
  that did not name its keys is `private, no-store` (static files and media keep their own
  long-lived headers).

Public pages are also kept in the app page cache (Django's default cache: per process memory
on one machine, Redis when CACHE_URL says so) for PAGE_CACHE_SECONDS under the current content
version, so a hit costs the version lookup and one cache read, and no process can serve a page
older than the content it can read.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
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
    query = request.META.get("QUERY_STRING", "")
    if query and not (query.startswith("page=") and query[5:].isdigit()):
        return None
    host = request.META.get("HTTP_HOST", "")
    return f"page:{token}:{host}:{request.path}?{query}"


class EdgeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = None
        if (settings.PAGE_CACHE_SECONDS and request.method in SAFE_METHODS
                and _anonymous(request) and not _own_headers(request.path)):
            key = _cache_key(request, versioning.current())
            if key is not None:
                hit = cache.get(key)
                if hit is not None:
                    return _response_from(hit)
        response = self.get_response(request)
        if apply_policy(request, response) and key is not None and request.method == "GET" \
                and not response.streaming:
            response[HIT_HEADER] = "miss"
            cache.set(key, _stored(response), settings.PAGE_CACHE_SECONDS)
        return response


def _stored(response) -> tuple:
    headers = [(k, v) for k, v in response.items() if k != HIT_HEADER]
    return response.status_code, headers, response.content


def _response_from(stored: tuple) -> HttpResponse:
    status, headers, content = stored
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    response[HIT_HEADER] = "hit"
    return response
