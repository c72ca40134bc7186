"""Which listing a feed follows: the whole magazine, a section, kind, tag or author, or briefs.

Every feed mirrors a reader page: `/feeds/section/europe/rss.xml` follows `/section/europe/`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404
from taggit.models import Tag

from masthead.core import versioning
from masthead.core.models import MagazineSettings
from masthead.editorial import selectors
from masthead.editorial.models import Author

LISTING_SCOPES = ("section", "kind", "tag", "authors")
SCOPES = ("main", "full", "briefs", *LISTING_SCOPES)
ARTWORK_SPECS = {  # RSS <image> is at most 144 pixels wide; JSON Feed asks for a 512 icon.
    "icon": "fill-64x64|format-png",
    "image": "fill-144x144|format-png",
    "logo": "fill-512x512|format-png",
}


@dataclass(frozen=True)
class Listing:
    scope: str  # one of SCOPES
    slug: str
    id: int | None
    name: str  # "Europe", "Analysis", a tag, an author; "" for the whole magazine
    description: str
    page_path: str  # the reader page: "/section/europe/"
    key: str  # that page's xkey: "section-3"

    @property
    def feed_path(self) -> str:
        """Where the feed's files live: `rss.xml`, `atom.xml` and `feed.json` are appended."""
        if self.scope == "main":
            return "/feeds/"
        return f"/feeds/{self.scope}/" + (f"{self.slug}/" if self.slug else "")

    @property
    def full_content(self) -> bool:
        return self.scope == "full"

    @property
    def is_briefs(self) -> bool:
        return self.scope == "briefs"


def resolve(token: str, scope: str, slug: str = "") -> Listing:
    """The listing a feed follows, or Http404 for an unknown scope or slug."""
    if scope in ("main", "full"):
        return Listing(scope, "", None, "", "", "/", "archive")
    if scope == "briefs":
        return Listing(scope, "", None, "Briefs", "Short takes on the week's developments.",
                       "/briefs/", "briefs")
    if scope in ("section", "kind"):
        rows = selectors.site_sections(token) if scope == "section" else selectors.site_kinds(token)
        found = next((r for r in rows if r["slug"] == slug), None)
    elif scope == "tag":
        found = Tag.objects.filter(slug=slug).values("id", "name").first()
    elif scope == "authors":
        found = Author.objects.filter(slug=slug).values("id", "name").first()
    else:
        found = None
    if found is None:
        raise Http404(f"No {scope} feed called {slug!r}")
    key = "author" if scope == "authors" else scope
    return Listing(scope, slug, found["id"], found["name"], found.get("description", ""),
                   f"/{scope}/{slug}/", f"{key}-{found['id']}")


def title_of(listing: Listing, magazine_name: str) -> str:
    if listing.scope == "full":
        return f"{magazine_name} (full text)"
    return f"{magazine_name}: {listing.name}" if listing.name else magazine_name


def description_of(listing: Listing, mag: dict) -> str:
    if listing.description:
        return listing.description
    if listing.scope == "tag":
        return f"Stories tagged “{listing.name}” from {mag['name']}."
    if listing.scope == "authors":
        return f"Stories by {listing.name} in {mag['name']}."
    if listing.name:
        return f"The newest stories in {listing.name} from {mag['name']}."
    return mag["tagline"] or f"The newest stories from {mag['name']}."


def artwork(token: str) -> dict[str, str]:
    """Square renditions of the magazine's logo for feed readers ({} without a logo)."""

    def build():
        s = MagazineSettings.objects.select_related("logo").first()
        if s is None or s.logo is None:
            return {}
        renditions = s.logo.get_renditions(*ARTWORK_SPECS.values())
        return {name: renditions[spec].url for name, spec in ARTWORK_SPECS.items()}

    return versioning.cached("feed-artwork", build, token=token)

