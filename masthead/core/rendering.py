"""Render a reader page: Jinja2 template, chrome context, and the keys of what it shows."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpResponse
from django.template.loader import get_template


def render_page(request, template: str, context: dict, *, keys: Iterable[str] = (),
                status: int = 200) -> HttpResponse:
    """Render `template`; the `xkey` header names every item shown, for exact cache purges."""
    html = get_template(template, using="jinja2").render(context, request)
    response = HttpResponse(html, status=status)
    keys = list(dict.fromkeys(keys))
    if keys:
        response["xkey"] = " ".join(keys)
    return response
