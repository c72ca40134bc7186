"""Page numbers from the query string: anything but a sane positive integer is a 404."""

from django.conf import settings
from django.http import Http404


def page_number(request) -> int:
    raw = request.GET.get("page", "1")
    if not raw.isdigit() or len(raw) > 6:
        raise Http404("No such page")
    number = int(raw)
    if number < 1 or number > settings.LISTING_MAX_PAGE:
        raise Http404("No such page")
    return number


def require_items(page) -> None:
    """A page past the end (other than an empty first page) does not exist."""
    if page.number > 1 and not page.items:
        raise Http404("No such page")
