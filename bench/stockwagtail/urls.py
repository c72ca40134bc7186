from django.urls import include, path

from stockwagtail import views

handler404 = "masthead.core.views.page_not_found"
handler500 = "masthead.core.views.server_error"

urlpatterns = [
    path("_stock/articles/<slug:slug>/", views.article, name="stock_article"),
    path("", include("masthead.urls")),
]
