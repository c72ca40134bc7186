"""The reader search page, /search/?q=… with filters. Thin: parse, select, render."""

from __future__ import annotations

from django.http import Http404

from masthead.core import versioning
from masthead.core.pagination import page_number
from masthead.core.rendering import render_page
from masthead.discovery.search import query as search_query
from masthead.discovery.search import selectors
from masthead.discovery.search.forms import SearchFilterForm
from masthead.editorial.chrome import chrome, chrome_keys

CACHE_CONTROL = "public, max-age=60"


def search(request):
    number = page_number(request)
    if number > selectors.MAX_PAGE:
        raise Http404("No such page")
    token = versioning.current()
    ctx = chrome(token)
    form = SearchFilterForm(request.GET, sections=ctx["sections"], kinds=ctx["kinds"],
                            authors=selectors.filter_authors(token))
    raw = request.GET.get("q", "")
    query = search_query.parse(raw)
    page = selectors.search_page(query, form.filters(), number)
    if number > 1 and not page.items:
        raise Http404("No such page")
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        **ctx,
        "page_title": f"Search: {raw}" if query.ok else "Search",
        "search_query": raw[: search_query.MAX_LENGTH],
        "query": query,
        "max_length": search_query.MAX_LENGTH,
        "max_words": search_query.MAX_WORDS,
        "form": form,
        "page": page,
        "page_params": params.urlencode(),
    }
    keys = ["search"] + [f"article-{r['item_id']}" for r in page.items
                         if r["item_type"] == "article"] + chrome_keys(ctx)
    response = render_page(request, "discovery/search.html", context, keys=keys)
    response["Cache-Control"] = CACHE_CONTROL
    return response
