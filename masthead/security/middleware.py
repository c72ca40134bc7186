"""Headers every response carries, and the stricter ones uploads get.

* `Permissions-Policy` (PERMISSIONS_POLICY) on every response: no page of the magazine needs
  the camera, geolocation, payment and the like, so nothing framed or injected gets them.
* Uploads (`/media/`) are other people's bytes: served with a policy that runs nothing
  (`default-src 'none'; sandbox`), so an image file that is really HTML or SVG cannot script
  this site if opened directly. Originals of documents (`/media/documents/`) are never served
  from there: documents go through Wagtail's view (`/documents/…`), which enforces private
  collections; the TLS proxy refuses the same path (deploy/nginx).
* Documents (`/documents/…`) always download (`Content-Disposition: attachment`), with the
  same no-script policy and `Cross-Origin-Resource-Policy: same-origin`.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseNotFound

DOCUMENTS_PREFIX = "/documents/"  # where masthead/urls.py mounts wagtail.documents.urls
UPLOAD_POLICY = "default-src 'none'; img-src 'self'; sandbox"  # as deploy/nginx serves /media/
DOCUMENT_POLICY = "default-src 'none'; sandbox"


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith(f"{settings.MEDIA_URL}documents/"):
            response = HttpResponseNotFound("Not found", content_type="text/plain")
            response["Cache-Control"] = "no-store"
        else:
            response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if path.startswith(settings.MEDIA_URL):
            response["Content-Security-Policy"] = UPLOAD_POLICY
            response["X-Content-Type-Options"] = "nosniff"
        elif path.startswith(DOCUMENTS_PREFIX) and "Content-Disposition" in response:
            _as_download(response)
        return response


def _as_download(response) -> None:
    """A served document: always a download, and never able to run anything."""
    disposition = response["Content-Disposition"]
    if not disposition.lower().startswith("attachment"):
        _, _, params = disposition.partition(";")
        response["Content-Disposition"] = "attachment" + (f";{params}" if params else "")
    response["Content-Security-Policy"] = DOCUMENT_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
