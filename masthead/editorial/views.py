"""Reader views. Thin: read through selectors, render a Jinja2 template, name what is shown."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from taggit.models import Tag
from wagtail.views import serve as wagtail_serve

from masthead.core import versioning
from masthead.core.images import image_url, square_html
from masthead.core.pagination import page_number, require_items
from masthead.core.rendering import render_page
from masthead.core.selectors import any_view_restriction
from masthead.discovery import metadata
from masthead.editorial import article_html, selectors, services
from masthead.editorial.chrome import (
    card_keys,
    cards_html,
    chrome,
    chrome_keys,
    section_header_html,
    stories_html,
)


def _page_size() -> int:
    return settings.LISTING_PAGE_SIZE


def article(request, slug: str):
    """An article from its PublishedArticle record: two queries when the process is warm."""
    token = versioning.current()
    if any_view_restriction(token):
        # Some page is private somewhere: let Wagtail route and check restrictions.
        return wagtail_serve(request, f"articles/{slug}/")
    record = selectors.article_by_slug(slug)
    if record is None:
        raise Http404("No such article")
    related = selectors.related(token, record)
    return _render_article(request, token, record, related, published=True)


def article_from_page(request, page):
    """Previews and Wagtail's own routing: render the page object as it stands, uncached."""
    token = versioning.current()
    record = services.article_record_fields(page)
    record["page_id"] = page.pk
    related = [] if page.pk is None else selectors.related(token, record, preview=True)
    response = _render_article(request, token, record, related)
    response["Cache-Control"] = "private, no-store"
    return response


def _whole_record(page_id: int) -> dict:
    record = selectors.article_record(page_id)
    if record is None:  # unpublished between the two reads
        raise Http404("No such article")
    return record


def _render_article(request, token: str, record: dict, related: list[dict], *,
                    published: bool = False):
    ctx = chrome(token)
    section = ctx["sections_by_id"].get(record["section_id"])
    kind = ctx["kinds_by_id"].get(record["kind_id"])
    site = metadata.site_identity(token, ctx["magazine"])  # cached: no query when warm
    # The <article> element and the metadata were rendered with a published record; a preview's
    # (or a record's whose section, site or templates changed since) are rendered now.
    main_html, meta_html = article_html.for_page(
        token, record, section=section, kind=kind, site=site, published=published,
        whole=lambda: _whole_record(record["page_id"]))
    context = {
        **ctx,
        "article": record,
        "kind": kind,
        "section": section,
        "related": related,
        "related_html": stories_html(token, related, ctx["sections_by_id"]),
        "page_title": record["headline"],
        "article_html": main_html,
        "meta_html": meta_html,
    }
    keys = [f"article-{record['page_id']}"] + card_keys(related) + chrome_keys(ctx)
    keys += [f"author-{a['id']}" for a in record["authors"]]
    # The related list is the newest of the article's section and tags: a story entering those
    # listings (even a backdated one, outside LATEST) may enter it.
    keys += [f"section-{record['section_id']}"] + [f"tag-{t['id']}" for t in record["tags"]
                                                   if "id" in t]
    return render_page(request, "editorial/article.html", context, keys=keys)


def home(request):
    token = versioning.current()
    ctx = chrome(token)
    rows = selectors.section_rows(token)
    lead = selectors.pinned_card(token, selectors.home_lead_id(token))
    lead = lead or (ctx["latest"][0] if ctx["latest"] else None)
    lead_id = lead["page_id"] if lead else None
    rows = {sid: [c for c in cards if c["page_id"] != lead_id] for sid, cards in rows.items()}
    shown = [c for cards in rows.values() for c in cards] + ([lead] if lead else [])
    context = {
        **ctx,
        "lead": lead,
        "rows": [(s, rows.get(s["id"], []), cards_html(token, rows.get(s["id"], []), ctx))
                 for s in ctx["sections"]],
        "page_title": None,
        "meta": metadata.home_meta(metadata.site_identity(token, ctx["magazine"])),
    }
    keys = ["home"] + card_keys(shown) + chrome_keys(ctx)
    return render_page(request, "editorial/home.html", context, keys=keys)


def _listing(request, *, title: str, intro: str, fetch, key: str, extra: dict | None = None,
             token: str | None = None, description: str = "", person: dict | None = None):
    number = page_number(request)
    token = token or versioning.current()
    page = fetch(number, _page_size(), token)
    require_items(page)
    ctx = chrome(token)
    meta = metadata.listing_meta(
        metadata.site_identity(token, ctx["magazine"]), path=request.path, number=number,
        title=title, description=description or intro, author=person,
    )
    context = {**ctx, "page": page, "page_title": title, "intro": intro, "meta": meta,
               **(extra or {})}
    lead = context.get("lead")
    shown = [c for c in page.items if not lead or c["page_id"] != lead["page_id"]]
    context["cards_html"] = cards_html(token, shown, ctx, heading="h2")
    keys = [key] + card_keys(page.items) + chrome_keys(ctx)
    return render_page(request, "editorial/listing.html", context, keys=keys)


def archive(request):
    return _listing(
        request,
        title="All stories",
        intro="Everything we have published, newest first.",
        fetch=selectors.archive_page,
        key="archive",
    )


def section(request, slug: str):
    token = versioning.current()
    found = next((s for s in selectors.site_sections(token) if s["slug"] == slug), None)
    if found is None:
        raise Http404("No such section")
    lead = selectors.pinned_card(token, found["lead_article_id"])
    return _listing(
        request,
        title=found["name"],
        intro=found["description"],
        fetch=lambda n, size, token: selectors.section_page(found["id"], n, size, token=token),
        key=f"section-{found['id']}",
        extra={"current_section": found,
               "header_html": section_header_html(token, chrome(token), found),
               "lead": lead if request.GET.get("page", "1") == "1" else None},
        token=token,
    )


def kind(request, slug: str):
    token = versioning.current()
    found = next((k for k in selectors.site_kinds(token) if k["slug"] == slug), None)
    if found is None:
        raise Http404("No such kind")
    return _listing(
        request,
        title=found["name"],
        intro=found["description"],
        fetch=lambda n, size, token: selectors.kind_page(found["id"], n, size, token=token),
        key=f"kind-{found['id']}",
        token=token,
    )


def tag(request, slug: str):
    found = Tag.objects.filter(slug=slug).values("id", "name").first()
    if found is None:
        raise Http404("No such tag")
    return _listing(
        request,
        title=f"Tagged: {found['name']}",
        intro="",
        fetch=lambda n, size, token: selectors.tag_page(found["id"], n, size, token=token),
        key=f"tag-{found['id']}",
        description=f"Stories tagged “{found['name']}”.",
    )


def author(request, slug: str):
    found = selectors.author_by_slug(slug)
    if found is None:
        raise Http404("No such author")
    links = list(found.links.all())
    return _listing(
        request,
        title=found.name,
        intro="",
        fetch=lambda n, size, token: selectors.author_page(found.pk, n, size, token=token),
        key=f"author-{found.pk}",
        extra={
            "author": found,
            "author_links": links,
            "author_photo_html": square_html(found.photo, alt=f"Portrait of {found.name}"),
        },
        description=found.bio,
        person={"name": found.name, "url": found.url, "title": found.title, "bio": found.bio,
                "photo_url": image_url(found.photo, 600), "links": [x.url for x in links]},
    )
