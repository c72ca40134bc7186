from masthead.editorial.models.authors import Author, AuthorLink
from masthead.editorial.models.pages import (
    ArticleAuthor,
    ArticleIndexPage,
    ArticlePage,
    ArticlePageTag,
    HomePage,
    StandardPage,
)
from masthead.editorial.models.published import (
    PublishedArticle,
    PublishedArticleAuthor,
    PublishedArticleSection,
    PublishedArticleTag,
)
from masthead.editorial.models.taxonomy import Kind, Section

__all__ = [
    "ArticleAuthor",
    "ArticleIndexPage",
    "ArticlePage",
    "ArticlePageTag",
    "Author",
    "AuthorLink",
    "HomePage",
    "Kind",
    "PublishedArticle",
    "PublishedArticleAuthor",
    "PublishedArticleSection",
    "PublishedArticleTag",
    "Section",
    "StandardPage",
]
