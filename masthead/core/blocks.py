"""The blocks an article body is made of. Rendering to HTML happens once, at publish."""

from wagtail import blocks
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock

INLINE_FEATURES = ["bold", "italic", "link", "document-link", "superscript"]


class ParagraphBlock(blocks.RichTextBlock):
    class Meta:
        icon = "pilcrow"
        label = "Paragraph"


class BlockQuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock()
    attribution = blocks.CharBlock(required=False)

    class Meta:
        icon = "openquote"
        label = "Block quote"


class PullQuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(help_text="A line from the article, shown large.")

    class Meta:
        icon = "openquote"
        label = "Pull quote"


class FigureBlock(blocks.StructBlock):
    """An image placed in the body, with its own alt text and credit."""

    image = ImageChooserBlock()
    alt = blocks.CharBlock(help_text="What the image shows, for readers who cannot see it.")
    caption = blocks.CharBlock(required=False)
    credit = blocks.CharBlock(help_text="Photographer, agency or source.")

    class Meta:
        icon = "image"
        label = "Image"


class FootnoteBlock(blocks.StructBlock):
    """A note listed at the end. Refer to it in a paragraph with [^1], [^2] … in order."""

    note = blocks.RichTextBlock(features=INLINE_FEATURES)

    class Meta:
        icon = "list-ol"
        label = "Footnote"


class ArticleBodyBlock(blocks.StreamBlock):
    paragraph = ParagraphBlock(features=INLINE_FEATURES)
    heading = blocks.CharBlock(form_classname="title", icon="title")
    block_quote = BlockQuoteBlock()
    pull_quote = PullQuoteBlock()
    image = FigureBlock()
    embed = EmbedBlock(help_text="A link from an allowed provider (video, audio, post).")
    footnote = FootnoteBlock()
