"""Feed URLs: `/feeds/` + the path of the reader page a feed follows + `rss.xml`, `atom.xml` or
`feed.json` (docs/feeds.md)."""

from django.urls import path, register_converter

from masthead.discovery.feeds.model import FORMATS
from masthead.discovery.feeds.scopes import LISTING_SCOPES
from masthead.discovery.feeds.views import feed


class FeedFormatConverter:
    """`rss.xml` → "rss", `atom.xml` → "atom", `feed.json` → "json"."""

    by_file = {file: fmt for fmt, (file, _) in FORMATS.items()}
    regex = "|".join(name.replace(".", r"\.") for name in by_file)

    def to_python(self, value: str) -> str:
        return self.by_file[value]

    def to_url(self, value: str) -> str:
        return FORMATS[value][0]


class ListingScopeConverter:
    regex = "|".join(LISTING_SCOPES)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FeedFormatConverter, "feed_format")
register_converter(ListingScopeConverter, "feed_scope")

urlpatterns = [
    path("feeds/<feed_format:fmt>", feed, name="feed"),
    path("feeds/full/<feed_format:fmt>", feed, {"scope": "full"}, name="feed-full"),
    path("feeds/briefs/<feed_format:fmt>", feed, {"scope": "briefs"}, name="feed-briefs"),
    path("feeds/<feed_scope:scope>/<slug:slug>/<feed_format:fmt>", feed, name="feed-listing"),
]
