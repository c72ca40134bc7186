"""Health check, uploaded files on one machine, and styled error pages."""

import time

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.static import serve as static_serve


def healthz(request):
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return JsonResponse(
            {"status": "unavailable", "database": "error", "error": exc.__class__.__name__},
            status=503,
        )
    ms = round((time.perf_counter() - started) * 1000, 2)
    response = JsonResponse({"status": "ok", "database": "ok", "database_ms": ms})
    response["Cache-Control"] = "no-store"
    return response


def media(request, path: str):
    """Uploaded files on a one-machine install (SERVE_MEDIA); a proxy serves them at scale."""
    response = static_serve(request, path, document_root=settings.MEDIA_ROOT)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def _error_page(template: str, status: int) -> HttpResponse:
    # No database, no request context: an error page must render when everything else failed.
    return HttpResponse(render_to_string(template, {}, using="jinja2"), status=status)


def page_not_found(request, exception=None):
    return _error_page("404.html", 404)


def server_error(request):
    return _error_page("500.html", 500)
