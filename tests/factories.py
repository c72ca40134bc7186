"""Build newsroom content for tests through the same publishing path editors use."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime, timedelta

from django.core.files.base import ContentFile
from PIL import Image as PILImage

from masthead.briefs.models import Brief
from masthead.core.models import MastheadImage
from masthead.editorial.models import (
    ArticleAuthor,
    ArticleIndexPage,
    ArticlePage,
    Author,
    Kind,
    Section,
)

_seq = itertools.count(1)
BASE_TIME = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def image(title: str = "Test image", *, size=(800, 450), credit="Photo: Test Agency"):
    """An uploaded image. Publishing renders its renditions (two widths each for the top image
    and the cards, here), which is most of what an article costs to make: the default is small.
    Pass `size` where the widths an image offers are what a test is about."""
    buf = io.BytesIO()
    PILImage.new("RGB", size, (40, 80, 120)).save(buf, "JPEG")
    img = MastheadImage(title=title, credit=credit)
    img.file.save(f"test-{next(_seq)}.jpg", ContentFile(buf.getvalue()), save=False)
    img.width, img.height, img.file_size = size[0], size[1], buf.tell()
    img.save()
    return img


def author(name: str | None = None, **fields) -> Author:
    n = next(_seq)
    name = name or f"Writer {n}"
    return Author.objects.create(
        name=name, slug=fields.pop("slug", f"writer-{n}"), bio=fields.pop("bio", f"Bio of {name}."),
        **fields,
    )


def section(slug: str = "europe") -> Section:
    return Section.objects.get(slug=slug)


def kind(slug: str = "analysis") -> Kind:
    return Kind.objects.get(slug=slug)


def paragraphs(n: int = 4, prefix: str = "Paragraph") -> list[dict]:
    return [{"type": "paragraph", "value": f"<p>{prefix} {i} of the body text.</p>"}
            for i in range(1, n + 1)]


def article(
    headline: str | None = None,
    *,
    section_slug: str = "europe",
    kind_slug: str = "analysis",
    authors: list[Author] | None = None,
    tags: list[str] | None = None,
    top_image=None,
    body: list[dict] | None = None,
    published_at: datetime | None = None,
    publish: bool = True,
    other_sections: list[str] | None = None,
    owner=None,
    **fields,
) -> ArticlePage:
    """An article, published through Wagtail's revision → publish path unless publish=False."""
    n = next(_seq)
    headline = headline or f"Headline number {n}"
    page = ArticlePage(
        title=headline,
        slug=fields.pop("slug", f"story-{n}"),
        dek=fields.pop("dek", f"The dek of story {n}."),
        kind=kind(kind_slug),
        section=section(section_slug),
        top_image=top_image or image(f"Image {n}"),
        top_image_alt=fields.pop("top_image_alt", f"Alt text {n}"),
        top_image_credit=fields.pop("top_image_credit", f"Photo: Agency {n}"),
        body=body if body is not None else paragraphs(),
        first_published_at=published_at or BASE_TIME + timedelta(hours=n),
        owner=owner,
        live=False,
        **fields,
    )
    for i, a in enumerate(authors if authors is not None else [author()]):
        page.authors.add(ArticleAuthor(author=a, sort_order=i))
    if tags:
        page.tags.add(*tags)
    if other_sections:
        page.other_sections.set([section(s) for s in other_sections])
    ArticleIndexPage.objects.get().add_child(instance=page)
    revision = page.save_revision(user=owner)
    if publish:
        revision.publish()
        page.refresh_from_db()
    return page


def brief(headline: str | None = None, *, section_slug: str = "europe",
          published_at: datetime | None = None, publish: bool = True) -> Brief:
    n = next(_seq)
    b = Brief(headline=headline or f"Brief {n}", body=f"<p>Brief body {n}.</p>",
              section=section(section_slug),
              first_published_at=published_at or BASE_TIME + timedelta(hours=n), live=False)
    b.save()
    revision = b.save_revision()
    if publish:
        revision.publish()
    return b
