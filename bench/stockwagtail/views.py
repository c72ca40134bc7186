"""The article page the way Wagtail's documentation leads a developer to write it."""

from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from masthead.briefs.models import Brief
from masthead.editorial.models import ArticlePage, Kind, Section


def article(request, slug):
    page = get_object_or_404(ArticlePage.objects.live(), slug=slug).specific
    context = page.get_context(request)
    latest = ArticlePage.objects.live().order_by("-first_published_at")[:10]
    context.update(
        related=(
            ArticlePage.objects.live()
            .filter(section=page.section_id)
            .exclude(pk=page.pk)
            .select_related("section", "top_image")
            .order_by("-first_published_at")[:6]
        ),
        latest=latest,
        briefs=Brief.objects.live().order_by("-first_published_at")[:5],
        sections=Section.objects.all(),
        kinds=Kind.objects.all(),
    )
    return TemplateResponse(request, "stockwagtail/article.html", context, using="django")
