"""Site-wide reads, held in process memory per content version."""

from __future__ import annotations

from wagtail.models import PageViewRestriction

from masthead.core import versioning
from masthead.core.images import square_html
from masthead.core.models import MagazineSettings


def magazine(token: str) -> dict:
    """Name, tagline, logo markup, newsletter pitch and social links of the magazine."""

    def build():
        s = MagazineSettings.objects.select_related("logo").first() or MagazineSettings()
        links = list(s.social_links.values("network", "url")) if s.pk else []
        return {
            "name": s.name,
            "tagline": s.tagline,
            "logo_html": square_html(s.logo, alt=s.name, size=96) if s.logo else "",
            "newsletter_pitch": s.newsletter_pitch,
            "footer_note": s.footer_note,
            "social_links": links,
        }

    return versioning.cached("magazine", build, token=token)


def any_view_restriction(token: str) -> bool:
    """Whether any page is private; if none is, reader views skip per-page checks."""
    return versioning.cached(
        "restricted", lambda: PageViewRestriction.objects.exists(), token=token
    )
