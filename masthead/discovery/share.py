"""Share links: plain links to each network's own share page, no scripts, no tracking.

Mastodon has no central share page: each reader belongs to their own server. The article links
to /share/mastodon/ on this site, which asks for the reader's server and hands over to
https://<server>/share. The hand-off is a POST with a CSRF token, so nobody can build a link to
this site that bounces readers elsewhere; the server name must be a plain public hostname and
the shared address a path on this site.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.http import HttpResponseRedirect
from django.views.decorators.http import require_http_methods

from masthead.core import versioning
from masthead.core.rendering import render_page
from masthead.editorial.chrome import chrome, chrome_keys
from masthead.editorial.models import PublishedArticle

MAX_HOSTNAME = 253
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TOP_LABEL = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_PATH = re.compile(r"^/(?!/)[A-Za-z0-9\-._~/%]{0,299}$")
_ARTICLE = re.compile(r"^/articles/([a-z0-9\-_]+)/$")
_RESERVED = ("localhost",)  # loopback by definition (RFC 6761), whatever DNS says


def _q(value: str) -> str:
    """Percent-encode everything that is not unreserved (spaces as %20, never +)."""
    return quote(value, safe="")


def article_links(*, path: str, url: str, title: str) -> list[dict]:
    """Share links for a page at `path` (absolute `url`), labelled for screen readers.

    Percent-encoding works character by character, so the title and the address are encoded
    once and joined, with the space and newlines between them encoded by hand."""
    q_title, q_url = _q(title), _q(url)
    return [
        {"network": "email", "name": "Email", "label": "Share by email",
         "href": f"mailto:?subject={q_title}&body={q_title}%0A%0A{q_url}"},
        {"network": "mastodon", "name": "Mastodon", "label": "Share on Mastodon",
         "href": f"/share/mastodon/?url={_q(path)}"},
        {"network": "bluesky", "name": "Bluesky", "label": "Share on Bluesky",
         "href": f"https://bsky.app/intent/compose?text={q_title}%20{q_url}"},
        {"network": "linkedin", "name": "LinkedIn", "label": "Share on LinkedIn",
         "href": f"https://www.linkedin.com/sharing/share-offsite/?url={q_url}"},
        {"network": "x", "name": "X", "label": "Share on X",
         "href": f"https://x.com/intent/post?url={q_url}&text={q_title}"},
    ]


class ShareError(ValueError):
    """Input we refuse, with a message meant for the reader."""


def mastodon_instance(raw: str) -> str:
    """The reader's Mastodon server as a plain hostname (`mastodon.social`), or ShareError."""
    value = (raw or "").strip().lower()
    if not value:
        raise ShareError("Enter the name of your Mastodon server, for example mastodon.social.")
    if len(value) > MAX_HOSTNAME:
        raise ShareError("That is too long to be a server name. Enter one like mastodon.social.")
    if "://" in value or value.startswith("//"):
        raise ShareError("Enter just the server name, without https://, for example "
                         "mastodon.social.")
    if any(c in value for c in "/\\?#@:[]% \t"):
        raise ShareError("Enter just the server name, for example mastodon.social: no path, "
                         "port or user name.")
    try:
        host = value.removesuffix(".").encode("idna").decode("ascii")
    except UnicodeError:
        raise ShareError("That is not a server name. Enter one like mastodon.social.") from None
    labels = host.split(".")
    if (len(labels) < 2 or not all(_LABEL.match(label) for label in labels)
            or not _TOP_LABEL.match(labels[-1])):
        # Also refuses IP addresses: no top-level domain is all digits.
        raise ShareError("That is not a server name. Enter one like mastodon.social.")
    if labels[-1] in _RESERVED:
        raise ShareError("That server name points back at your own computer. Enter your "
                         "Mastodon server, for example mastodon.social.")
    return host


def shared_path(raw: str) -> str:
    """The path on this site being shared (an absolute URL of this site is cut to its path)."""
    value = (raw or "").strip()
    if value.startswith(settings.SITE_URL + "/"):
        value = value[len(settings.SITE_URL):]
    if not _PATH.match(value) or urlsplit(value).netloc:
        raise ShareError("This page can only share pages of this site.")
    return value


def mastodon_url(host: str, *, title: str, url: str) -> str:
    return f"https://{host}/share?text={_q(f'{title} {url}')}"


def _title(path: str, site_name: str) -> str:
    """The shared article's social headline (or headline); the magazine's name otherwise."""
    found = _ARTICLE.match(path)
    if found:
        row = (PublishedArticle.objects.filter(slug=found[1])
               .values_list("social_headline", "headline").first())
        if row:
            return row[0] or row[1]
    return site_name


@require_http_methods(["GET", "HEAD", "POST"])
def mastodon(request):
    """Ask for the reader's Mastodon server, then send them to its share page."""
    ctx = chrome(versioning.current())
    data = request.POST if request.method == "POST" else request.GET
    context = {**ctx, "page_title": "Share on Mastodon", "instance": "", "error": "",
               "path": "", "title": "", "url_error": ""}
    try:
        path = shared_path(data.get("url", ""))
    except ShareError as exc:
        context["url_error"] = str(exc)
        return _page(request, context, ctx, status=400)
    url = settings.SITE_URL + path
    context.update(path=path, title=_title(path, ctx["magazine"]["name"]), url=url)
    if request.method != "POST":
        return _page(request, context, ctx)
    context["instance"] = data.get("instance", "")[:MAX_HOSTNAME]
    try:
        host = mastodon_instance(data.get("instance", ""))
    except ShareError as exc:
        context["error"] = str(exc)
        return _page(request, context, ctx, status=400)
    response = HttpResponseRedirect(mastodon_url(host, title=context["title"], url=url))
    response.status_code = 303  # see other: the browser follows with a GET
    response["Cache-Control"] = "private, no-store"
    return response


def _page(request, context: dict, ctx: dict, *, status: int = 200):
    response = render_page(request, "discovery/share_mastodon.html", context,
                           keys=chrome_keys(ctx), status=status)
    response["Cache-Control"] = "private, no-store"  # it carries a CSRF token
    return response
