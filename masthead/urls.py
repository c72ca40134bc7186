from django.conf import settings
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from masthead.briefs import views as briefs_views
from masthead.core import views as core_views
from masthead.editorial import views as editorial_views
from masthead.security import views as security_views

handler404 = "masthead.core.views.page_not_found"
handler500 = "masthead.core.outages.server_error"  # 503 when the database or disk is down

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("csp-report/", security_views.csp_report, name="csp-report"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("", editorial_views.home, name="home"),
    path("articles/", editorial_views.archive, name="archive"),
    path("articles/<slug:slug>/", editorial_views.article, name="article"),
    path("section/<slug:slug>/", editorial_views.section, name="section"),
    path("kind/<slug:slug>/", editorial_views.kind, name="kind"),
    path("tag/<slug:slug>/", editorial_views.tag, name="tag"),
    path("authors/<slug:slug>/", editorial_views.author, name="author"),
    path("briefs/", briefs_views.stream, name="briefs"),
    path("newsletter/", include("masthead.newsletter.urls")),
    path("", include("masthead.discovery.urls")),
]

if settings.SERVE_MEDIA:
    # One-machine installs serve uploads themselves; behind a proxy, let it serve MEDIA_ROOT.
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", core_views.media),
    ]

urlpatterns += [path("", include(wagtail_urls))]
