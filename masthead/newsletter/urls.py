from django.urls import include, path

from masthead.newsletter import views_public, views_webhooks

app_name = "newsletter"

urlpatterns = [
    path("", views_public.signup, name="signup"),
    path("thanks/", views_public.thanks, name="thanks"),
    path("confirm/<str:token>/", views_public.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views_public.unsubscribe, name="unsubscribe"),
    path("webhooks/", include(views_webhooks.urlpatterns)),
]
