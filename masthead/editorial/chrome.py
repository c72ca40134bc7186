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
        # The masthead, sidebar and footer are the same on every page: render them once per
        # version (a section page's masthead marks its section: section_header_html()).
        ctx["fragments"] = {name: _render(f"components/{name}.html", ctx)
                            for name in ("header", "aside", "footer")}
        return ctx

    return versioning.cached("chrome", build, token=token)


def section_header_html(token: str, ctx: dict, section: dict) -> Markup:
    """The masthead with `section` marked as the current page, once per section and version."""
    return versioning.cached(
        ("section-header", section["id"]),
        lambda: _render("components/header.html", {**ctx, "current_section": section}),
        token=token)


def _render(template: str, context: dict) -> Markup:
    return Markup(get_template(template, using="jinja2").template.render(context))


def _macros():
    return get_template("components/macros.html", using="jinja2").template.module


def stories_html(token: str, cards: list[dict], sections_by_id: dict) -> Markup:
    """Story cards with an excerpt that opens in place (the `story` macro), each rendered once
    per content version and process: a card looks the same on every page that shows it."""
    macro = _macros().story
    return Markup("".join(
        versioning.cached(("story", c["page_id"]), lambda c=c: str(macro(c, sections_by_id)),
                          token=token)
        for c in cards
    ))


def cards_html(token: str, cards: list[dict], ctx: dict, *, heading: str = "h3") -> Markup:
    """Listing cards (the `card` macro), each rendered once per content version and process."""
    macro = _macros().card
    sections, kinds = ctx["sections_by_id"], ctx["kinds_by_id"]
    return Markup("".join(
        versioning.cached(("card", heading, c["page_id"]),
                          lambda c=c: str(macro(c, sections, kinds, heading=heading)), token=token)
        for c in cards
    ))


def chrome_keys(ctx: dict) -> list[str]:
    """Cache keys of what the chrome shows (LATEST, briefs, site settings)."""
    return ["site", "latest", "briefs"]


def card_keys(cards) -> list[str]:
    return [f"article-{c['page_id']}" for c in cards]
