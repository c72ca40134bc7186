"""Responsive image markup, built once (at publish) from Wagtail renditions."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import mark_safe

TOP_WIDTHS = (480, 800, 1200, 1600)
CARD_WIDTHS = (320, 640)
TOP_SIZES = "(min-width: 72rem) 46rem, 100vw"
CARD_SIZES = "(min-width: 48rem) 20rem, 100vw"


def picture_html(image, *, alt: str, widths=TOP_WIDTHS, sizes=TOP_SIZES, lazy=True,
                 css_class: str = "") -> str:
    """An <img> with a WebP srcset; widths larger than the original are skipped."""
    if image is None:
        return ""
    usable = [w for w in widths if w <= image.width] or [min(widths[0], image.width)]
    specs = [f"width-{w}|format-webp" for w in usable]
    renditions = image.get_renditions(*specs)
    chosen = [renditions[s] for s in specs]
    srcset = ", ".join(f"{r.url} {r.width}w" for r in chosen)
    fallback = chosen[min(1, len(chosen) - 1)]
    return format_html(
        '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}"{}{}>',
        fallback.url,
        srcset,
        sizes,
        fallback.width,
        fallback.height,
        alt,
        format_html(' class="{}"', css_class) if css_class else "",
        mark_safe(' loading="lazy" decoding="async"') if lazy else "",
    )


def square_html(image, *, alt: str, size: int = 160) -> str:
    if image is None:
        return ""
    r = image.get_rendition(f"fill-{size}x{size}|format-webp")
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="{}" loading="lazy" decoding="async">',
        r.url, r.width, r.height, alt,
    )


def image_url(image, width: int = 1200) -> str:
    if image is None:
        return ""
    return image.get_rendition(f"width-{min(width, image.width)}|format-jpeg").url
