from django.urls import path, reverse
from wagtail import hooks

from masthead.security import views


@hooks.register("register_admin_urls")
def two_factor_urls():
    return [
        path("2fa/setup/", views.setup, name="security_2fa_setup"),
        path("2fa/verify/", views.verify, name="security_2fa_verify"),
    ]


@hooks.register("register_account_menu_item")
def two_factor_menu_item(request):
    return {
        "url": reverse("security_2fa_setup"),
        "label": "Two-factor authentication",
        "help_text": "Ask for a code from an authenticator app after your password.",
    }
