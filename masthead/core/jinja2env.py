"""The Jinja2 environment for reader pages."""

import functools

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from jinja2 import Environment
from masthead.discovery.feed_links import feed_links
from masthead.newsletter.wording import CONSENT_WORDING


def date(value, fmt: str = "%-d %B %Y") -> str:
    if value is None:
        return ""
    return timezone.localtime(value).strftime(fmt)


def isodate(value) -> str:
    return value.isoformat() if value is not None else ""


@functools.lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """The hashed URL of a static file: looked up in the manifest once per process."""
    return static(path)


class ReaderEnvironment(Environment):
    """Jinja's Environment with each template's globals as a plain dict.

    Jinja keeps them as a ChainMap over the environment's globals, and copying that into a
    render's context costs 27 µs per render here (an article that nobody asked for yet renders
    three templates), and as much again per `{% from ... import %}`. Every global is set while
    environment() builds the environment, before any template is loaded, so a snapshot per
    template loses nothing.
    """

    def make_globals(self, d):
        return {**self.globals, **(d or {})}


def environment(**options) -> Environment:
    env = ReaderEnvironment(**options)
    env.globals.update({"static": static_url, "url": reverse, "SITE_URL": settings.SITE_URL,
                        "NEWSLETTER_CONSENT": CONSENT_WORDING,
                        "feed_links": feed_links})
    env.filters.update({"date": date, "isodate": isodate})
    return env
