from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.widgets.button import Button

from masthead.security import admin_guards, views


@hooks.register("register_admin_urls")
def two_factor_urls():
    return [
        path("2fa/setup/", views.setup, name="security_2fa_setup"),
        path("2fa/verify/", views.verify, name="security_2fa_verify"),
        path("2fa/recover/", views.recover, name="security_2fa_recover"),
        path("2fa/recovery-codes/", views.recovery_codes_new, name="security_2fa_recovery_codes"),
        # Not under 2fa/: TwoFactorMiddleware guards it like every other admin page.
        path("security/users/<int:user_id>/reset-2fa/", views.two_factor_reset,
             name="security_2fa_reset"),
    ]


@hooks.register("register_account_menu_item")
def two_factor_menu_item(request):
    return {
        "url": reverse("security_2fa_setup"),
        "label": "Two-factor authentication",
        "help_text": "Ask for a code from an authenticator app after your password.",
    }


@hooks.register("register_user_listing_buttons")
def two_factor_reset_button(user, request_user):
    # Shown for everyone (checking who has enrolled would cost a query per row); the page it
    # opens says whether they have.
    if request_user.is_superuser:
        yield Button("Reset two-factor authentication",
                     reverse("security_2fa_reset", args=[user.pk]), priority=60)


# Incomplete page forms get a clear 400 instead of Wagtail's 500 (masthead/security/admin_guards.py).
hooks.register("before_create_page", admin_guards.before_create_page)
hooks.register("before_edit_page", admin_guards.before_edit_page)
hooks.register("before_copy_page", admin_guards.before_copy_page)
