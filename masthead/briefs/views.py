from django.conf import settings

from masthead.briefs import selectors
from masthead.core import versioning
from masthead.core.pagination import page_number, require_items
from masthead.core.rendering import render_page
from masthead.editorial.chrome import chrome, chrome_keys
from masthead.editorial.selectors import Page


def stream(request):
    """The briefs stream, newest first, paginated."""
    number = page_number(request)
    items, has_next = selectors.briefs_page(number, settings.LISTING_PAGE_SIZE)
    page = Page(items=items, number=number, has_next=has_next)
    require_items(page)
    ctx = chrome(versioning.current())
    context = {**ctx, "page": page, "page_title": "Briefs"}
    return render_page(request, "briefs/stream.html", context, keys=["briefs", *chrome_keys(ctx)])
