"""What every reader page shows around its content: masthead, sections, LATEST, briefs."""

from __future__ import annotations

from django.template.loader import get_template
from markupsafe import Markup

from masthead.briefs.selectors import newest_briefs
from masthead.core import versioning
from masthead.core.selectors import magazine
from masthead.editorial import selectors


def chrome(token: str) -> dict:
    def build():
        sections = selectors.site_sections(token)
        kinds = selectors.site_kinds(token)
        ctx = {
            "magazine": magazine(token),
            "sections": sections,
            "sections_by_id": {s["id"]: s for s in sections},
            "kinds": kinds,
            "kinds_by_id": {k["id"]: k for k in kinds},
            "latest": selectors.latest(token),
            "briefs": newest_briefs(token),
        }
        # The sidebar and footer are the same on every page: render them once per version.
        ctx["fragments"] = {name: _render(f"components/{name}.html", ctx)
                            for name in ("aside", "footer")}
        return ctx

    return versioning.cached("chrome", build, token=token)


def _render(template: str, context: dict) -> Markup:
    return Markup(get_template(template, using="jinja2").template.render(context))


def chrome_keys(ctx: dict) -> list[str]:
    """Cache keys of what the chrome shows (LATEST, briefs, site settings)."""
    return ["site", "latest", "briefs"]


def card_keys(cards) -> list[str]:
    return [f"article-{c['page_id']}" for c in cards]
