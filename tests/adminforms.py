"""The article editor's form as Wagtail's admin posts it, for tests that save through the admin."""

from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield


def article_form(*, title: str, slug: str, dek: str, kind, section, author_row: int, author: int,
                 top_image, top_image_alt: str, top_image_credit: str, body_html: str,
                 **overrides) -> dict:
    """The POST data of the ArticlePage editor: one author, one paragraph, the rest empty."""
    data = {
        "title": title,
        "slug": slug,
        "dek": dek,
        "kind": kind,
        "section": section,
        "authors": inline_formset([{"id": author_row, "author": author, "ORDER": 1}], initial=1),
        "top_image": top_image,
        "top_image_alt": top_image_alt,
        "top_image_credit": top_image_credit,
        "top_image_caption": "",
        "body": streamfield([("paragraph", rich_text(body_html))]),
        "other_sections": [],
        "tags": "",
        "social_headline": "",
        "display_updated_at": "",
        "seo_title": "",
        "search_description": "",
        "go_live_at": "",
        "expire_at": "",
        "comments": inline_formset([]),
    }
    data.update(overrides)
    return nested_form_data(data)
