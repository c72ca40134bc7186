"""What readers see of live articles, rendered once at publish time.

A PublishedArticle row exists exactly while its ArticlePage is live. It holds the article's
rendered body, card-ready HTML and denormalised label data, so an article page is one indexed
lookup and a listing is one `.values()` query, whatever the number of authors, tags or cards.
The join tables copy `published_at` so every listing is served from one composite index, deep
pages included.
"""

from django.db import models


class PublishedArticle(models.Model):
    page = models.OneToOneField(
        "editorial.ArticlePage", primary_key=True, on_delete=models.CASCADE, related_name="record"
    )
    slug = models.SlugField(max_length=255, unique=True)
    url = models.CharField(max_length=300)
    headline = models.CharField(max_length=255)
    social_headline = models.CharField(max_length=255, blank=True)
    dek = models.TextField()
    kind = models.ForeignKey("editorial.Kind", on_delete=models.PROTECT, related_name="+")
    section = models.ForeignKey("editorial.Section", on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()
    updated_at = models.DateTimeField(null=True, blank=True)
    # Rendered at publish: the byline's authors ([{name, url, role, title, bio, photo_html}]),
    # tags ([{name, slug}]), the top image in two sizes, the body, and the card's paragraphs.
    authors = models.JSONField(default=list)
    tags = models.JSONField(default=list)
    image_html = models.TextField(blank=True)
    card_image_html = models.TextField(blank=True)
    image_url = models.CharField(max_length=500, blank=True)
    image_alt = models.CharField(max_length=255)
    image_credit = models.CharField(max_length=255)
    image_caption = models.CharField(max_length=255, blank=True)
    body_html = models.TextField()
    first_paragraph_html = models.TextField(blank=True)
    more_paragraphs_html = models.TextField(blank=True)
    word_count = models.PositiveIntegerField(default=0)
    image_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # The page's <article> element and <head> metadata, rendered with the record, and the key
    # of the site-wide values they were made from (masthead/editorial/article_html.py).
    article_html = models.TextField(blank=True)
    head_html = models.TextField(blank=True)
    html_key = models.CharField(max_length=40, blank=True)
    rendered_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["-published_at", "-page"], name="pubart_recent"),
            models.Index(fields=["section", "-published_at"], name="pubart_section_recent"),
            models.Index(fields=["kind", "-published_at", "-page"], name="pubart_kind_recent"),
        ]

    def __str__(self) -> str:
        return self.headline


class PublishedArticleSection(models.Model):
    """Every section an article appears in (primary first), for section fronts."""

    article = models.ForeignKey(PublishedArticle, on_delete=models.CASCADE, related_name="+")
    section = models.ForeignKey("editorial.Section", on_delete=models.CASCADE, related_name="+")
    published_at = models.DateTimeField()

    class Meta:
        unique_together = [("article", "section")]
        indexes = [models.Index(fields=["section", "-published_at", "-article"], name="pubsec_recent")]


class PublishedArticleTag(models.Model):
    article = models.ForeignKey(PublishedArticle, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey("taggit.Tag", on_delete=models.CASCADE, related_name="+")
    published_at = models.DateTimeField()

    class Meta:
        unique_together = [("article", "tag")]
        indexes = [models.Index(fields=["tag", "-published_at", "-article"], name="pubtag_recent")]


class PublishedArticleAuthor(models.Model):
    article = models.ForeignKey(PublishedArticle, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey("editorial.Author", on_delete=models.CASCADE, related_name="+")
    published_at = models.DateTimeField()

    class Meta:
        unique_together = [("article", "author")]
        indexes = [models.Index(fields=["author", "-published_at", "-article"], name="pubauthor_recent")]
