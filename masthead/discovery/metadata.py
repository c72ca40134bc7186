"""What a page says about itself to search engines and link previews.

Canonical URL, description, OpenGraph and Twitter card tags, and schema.org JSON-LD, built by
pure functions from the dicts reader views already hold (the article record, the chrome) and the
site identity. Each builder returns the `meta` dict that components/metadata.html renders:

    {"description": str, "canonical": str,
     "og": [(property, content), ...], "twitter": [(name, content), ...],
     "json_ld": [Markup, ...]}   # each one <script type="application/ld+json"> body

Nothing here reads the database except `site_identity`, held per content version, so a warm
article page keeps its two queries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from markupsafe import Markup

from masthead.core import versioning
from masthead.core.models import MagazineSettings

SCHEMA = "https://schema.org"
LOGO_SPEC = "max-512x512|format-png"  # a logo keeps its transparency and stays sharp
# Inside <script>, "</script>" or "<!--" in a headline must not end the element or open a
# comment: JSON allows escaping any character, and \u003c reads back as "<".
_SCRIPT_SAFE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                0x2028: "\\u2028", 0x2029: "\\u2029"}


# --- the one read


def site_identity(token: str, magazine: dict) -> dict:
    """Name, address, logo URL, language and social profiles of the magazine (cached)."""

    def build() -> dict:
        lang, _, region = settings.LANGUAGE_CODE.partition("-")
        return {
            "name": magazine["name"],
            "tagline": magazine["tagline"],
            "url": settings.SITE_URL,
            "logo_url": _logo_url() if magazine["logo_html"] else "",  # no logo: no query
            "language": f"{lang}-{region.upper()}" if region else lang,  # BCP 47: en-GB
            "locale": f"{lang}_{region.upper()}" if region else lang,
            "same_as": [link["url"] for link in magazine["social_links"]],
        }

    return versioning.cached("site_identity", build, token=token)


def _logo_url() -> str:
    """The logo at a size search engines accept (the masthead's is too small for them)."""
    row = MagazineSettings.objects.select_related("logo").first()
    if row is None or row.logo is None:
        return ""
    return _absolute(settings.SITE_URL, row.logo.get_rendition(LOGO_SPEC).url)


# --- helpers


def json_ld(data: dict) -> Markup:
    """JSON for a <script type="application/ld+json"> element, safe against breaking out."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.translate(_SCRIPT_SAFE))


def _absolute(site_url: str, url: str) -> str:
    if not url:
        return ""
    if url.startswith(("http://", "https://")):
        return url
    if url.startswith("//"):
        return "https:" + url
    return site_url + url


def iso(value: datetime | None) -> str:
    return value.replace(microsecond=0).isoformat() if value is not None else ""


def _meta(*, description: str, canonical: str, og: list, twitter: list,
          ld: Iterable[dict]) -> dict:
    return {"description": description, "canonical": canonical, "og": og,
            "twitter": twitter, "json_ld": [json_ld(obj) for obj in ld]}


def _og_basics(site: dict, *, kind: str, title: str, description: str, url: str,
               image: str = "", image_alt: str = "") -> list[tuple[str, str]]:
    og = [("og:type", kind), ("og:site_name", site["name"]), ("og:locale", site["locale"]),
          ("og:title", title), ("og:description", description), ("og:url", url)]
    if image:
        og += [("og:image", image), ("og:image:alt", image_alt)]
    return og


def _twitter(*, title: str, description: str, image: str = "", image_alt: str = ""):
    if not image:
        return [("twitter:card", "summary"), ("twitter:title", title),
                ("twitter:description", description)]
    return [("twitter:card", "summary_large_image"), ("twitter:title", title),
            ("twitter:description", description), ("twitter:image", image),
            ("twitter:image:alt", image_alt)]


# --- schema.org objects


def organization_ld(site: dict, *, top_level: bool = False) -> dict:
    org = {"@type": "Organization", "name": site["name"], "url": site["url"] + "/"}
    if site["logo_url"]:
        org["logo"] = {"@type": "ImageObject", "url": site["logo_url"]}
    if top_level:
        org = {"@context": SCHEMA, **org}
        if site["same_as"]:
            org["sameAs"] = site["same_as"]
    return org


def breadcrumbs_ld(site: dict, crumbs: Iterable[tuple[str, str]]) -> dict:
    """A BreadcrumbList from (name, path) pairs, the home page first."""
    items = [{"@type": "ListItem", "position": i, "name": name, "item": site["url"] + path}
             for i, (name, path) in enumerate(crumbs, start=1)]
    return {"@context": SCHEMA, "@type": "BreadcrumbList", "itemListElement": items}


def person_ld(site: dict, author: dict) -> dict:
    """A Person from an author dict: name, url (path), and optionally title, bio, photo_url,
    links (profile URLs elsewhere)."""
    person = {"@context": SCHEMA, "@type": "Person", "name": author["name"],
              "url": site["url"] + author["url"]}
    if author.get("title"):
        person["jobTitle"] = author["title"]
    if author.get("bio"):
        person["description"] = author["bio"]
    if author.get("photo_url"):
        person["image"] = _absolute(site["url"], author["photo_url"])
    if author.get("links"):
        person["sameAs"] = list(author["links"])
    return person


def news_article_ld(record: dict, *, section: dict | None, site: dict) -> dict:
    canonical = site["url"] + record["url"]
    image = _absolute(site["url"], record.get("image_url", ""))
    article = {
        "@context": SCHEMA,
        "@type": "NewsArticle",
        "headline": record["headline"],
        "description": record["dek"],
        "url": canonical,
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
        "datePublished": iso(record["published_at"]),
        "dateModified": iso(record["updated_at"] or record["published_at"]),
        "author": [{"@type": "Person", "name": a["name"], "url": site["url"] + a["url"]}
                   for a in record["authors"]],
        "publisher": organization_ld(site),
        "inLanguage": site["language"],
        "wordCount": record.get("word_count", 0),
    }
    if image:
        article["image"] = [image]
    if section:
        article["articleSection"] = section["name"]
    if record.get("tags"):
        article["keywords"] = [t["name"] for t in record["tags"]]
    return article


# --- page metadata


def article_meta(record: dict, *, section: dict | None, site: dict) -> dict:
    """An article page: the dek is the description, the social headline (if any) the title."""
    canonical = site["url"] + record["url"]
    title = record.get("social_headline") or record["headline"]
    image = _absolute(site["url"], record.get("image_url", ""))
    alt = record.get("image_alt", "")
    og = _og_basics(site, kind="article", title=title, description=record["dek"],
                    url=canonical, image=image, image_alt=alt)
    og += [("article:published_time", iso(record["published_at"])),
           ("article:modified_time", iso(record["updated_at"] or record["published_at"]))]
    if section:
        og.append(("article:section", section["name"]))
    og += [("article:tag", t["name"]) for t in record.get("tags", [])]
    og += [("article:author", site["url"] + a["url"]) for a in record["authors"]]
    crumbs = [("Home", "/")]
    if section:
        crumbs.append((section["name"], f"/section/{section['slug']}/"))
    crumbs.append((record["headline"], record["url"]))
    return _meta(
        description=record["dek"], canonical=canonical, og=og,
        twitter=_twitter(title=title, description=record["dek"], image=image, image_alt=alt),
        ld=[news_article_ld(record, section=section, site=site), breadcrumbs_ld(site, crumbs)],
    )


def home_meta(site: dict) -> dict:
    """The front page: WebSite (with the search box) and the publishing Organization."""
    home = site["url"] + "/"
    description = site["tagline"] or site["name"]
    website = {
        "@context": SCHEMA,
        "@type": "WebSite",
        "name": site["name"],
        "url": home,
        "inLanguage": site["language"],
        "potentialAction": {
            "@type": "SearchAction",
            # A URL template: the braces must reach the crawler unescaped.
            "target": {"@type": "EntryPoint",
                       "urlTemplate": site["url"] + "/search/?q={search_term_string}"},
            "query-input": "required name=search_term_string",
        },
    }
    og = _og_basics(site, kind="website", title=site["name"], description=description,
                    url=home, image=site["logo_url"], image_alt=site["name"])
    return _meta(description=description, canonical=home, og=og,
                 twitter=_twitter(title=site["name"], description=description),
                 ld=[website, organization_ld(site, top_level=True)])


def listing_meta(site: dict, *, path: str, number: int, title: str, description: str,
                 author: dict | None = None) -> dict:
    """A section, kind, tag, author or archive page (page `number` of it).

    Each page of a listing is its own canonical URL (?page=N), as its stories differ. An author
    page adds a Person and presents itself as a profile.
    """
    canonical = site["url"] + path + (f"?page={number}" if number > 1 else "")
    description = description or f"{title}, from {site['name']}."
    image = _absolute(site["url"], (author or {}).get("photo_url", ""))
    og = _og_basics(site, kind="profile" if author else "website", title=title,
                    description=description, url=canonical, image=image,
                    image_alt=f"Portrait of {title}" if image else "")
    ld = [person_ld(site, author)] if author else []
    ld.append(breadcrumbs_ld(site, [("Home", "/"), (title, path)]))
    return _meta(description=description, canonical=canonical, og=og,
                 twitter=_twitter(title=title, description=description), ld=ld)
