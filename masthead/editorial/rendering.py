"""Turn an ArticlePage into reader HTML. Runs at publish (and for previews), never per view."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.html import escape, format_html, linebreaks, strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from wagtail.rich_text import expand_db_html

from masthead.core.images import CARD_SIZES, CARD_WIDTHS, picture_html, square_html
from masthead.security.sanitize import embed_allowed, rich_text_html

FOOTNOTE_REF = re.compile(r"\[\^(\d{1,3})\]")
CARD_MORE_PARAGRAPHS = 3


@dataclass
class RenderedBody:
    html: str
    paragraphs: list[str] = field(default_factory=list)
    word_count: int = 0


def _footnote_refs(html: str) -> str:
    return FOOTNOTE_REF.sub(
        lambda m: (
            f'<sup class="fn-ref"><a href="#fn-{m[1]}" id="fnref-{m[1]}" '
            f'aria-describedby="footnotes-label">{m[1]}</a></sup>'
        ),
        html,
    )


def _without_footnote_refs(html: str) -> str:
    return FOOTNOTE_REF.sub("", html)


def render_body(stream) -> RenderedBody:
    """Render a body StreamField value to HTML, expanding internal links now."""
    parts: list[str] = []
    paragraphs: list[str] = []
    notes: list[str] = []
    words = 0
    for block in stream:
        kind, value = block.block_type, block.value
        if kind == "paragraph":
            html = rich_text_html(expand_db_html(value.source))
            words += len(strip_tags(html).split())
            paragraphs.append(_without_footnote_refs(html))
            parts.append(_footnote_refs(html))
        elif kind == "heading":
            parts.append(format_html('<h2 id="{}">{}</h2>', slugify(value)[:60], value))
        elif kind == "block_quote":
            attribution = value.get("attribution")
            parts.append(
                format_html(
                    "<blockquote>{}{}</blockquote>",
                    mark_safe(linebreaks(value["quote"], autoescape=True)),  # escaped inside
                    format_html("<footer>— {}</footer>", attribution) if attribution else "",
                )
            )
        elif kind == "pull_quote":
            parts.append(
                format_html('<aside class="pull-quote"><p>{}</p></aside>', value["text"])
            )
        elif kind == "image":
            parts.append(figure_html(value))
        elif kind == "embed":
            parts.append(embed_html(value))
        elif kind == "footnote":
            notes.append(rich_text_html(expand_db_html(value["note"].source)))
    if notes:
        items = "".join(
            f'<li id="fn-{i}">{_strip_outer_p(note)} '
            f'<a href="#fnref-{i}" class="fn-back" aria-label="Back to reference {i}">↩</a></li>'
            for i, note in enumerate(notes, start=1)
        )
        parts.append(
            '<section class="footnotes" aria-labelledby="footnotes-label">'
            f'<h2 id="footnotes-label">Notes</h2><ol>{items}</ol></section>'
        )
    return RenderedBody(html="\n".join(str(p) for p in parts), paragraphs=paragraphs,
                        word_count=words)


def _strip_outer_p(html: str) -> str:
    html = html.strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return html[3:-4]
    return html


def figure_html(value) -> str:
    img = picture_html(value["image"], alt=value["alt"])
    caption = value.get("caption") or ""
    return format_html(
        '<figure class="figure">{}<figcaption>{}{}</figcaption></figure>',
        img,
        format_html("{} ", caption) if caption else "",
        format_html('<span class="credit">{}</span>', value["credit"]),
    )


def embed_html(value) -> str:
    """An embed from an allowed provider (EMBED_PROVIDERS), as a plain outbound link; anything
    else renders nothing. Fetching the provider's HTML would be a server-side request at
    publish and third-party script on a reader's page: neither happens."""
    # EmbedValue.url, never str(EmbedValue): that renders the embed, fetching it.
    url = (value.url if hasattr(value, "url") else str(value or "")).strip()
    if not url or not embed_allowed(url):
        return ""
    return format_html(
        '<p class="embed"><a href="{}" rel="noopener nofollow">{}</a></p>', url, url
    )


def card_parts(body: RenderedBody) -> tuple[str, str]:
    """The card excerpt: the first paragraph, and the next few for "keep reading"."""
    paras = body.paragraphs
    first = paras[0] if paras else ""
    more = "".join(paras[1 : 1 + CARD_MORE_PARAGRAPHS])
    return first, more


def card_image_html(image, alt: str) -> str:
    return picture_html(image, alt=alt, widths=CARD_WIDTHS, sizes=CARD_SIZES)


def author_entry(author) -> dict:
    return {
        "id": author.pk,
        "name": author.name,
        "slug": author.slug,
        "url": author.url,
        "role": author.role,
        "title": author.title,
        "bio": author.bio,
        "photo_html": square_html(author.photo, alt="", size=160) if author.photo else "",
    }


def plain_text(html: str) -> str:
    return escape(strip_tags(html))
