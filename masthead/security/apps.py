from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """Hardening: security headers and CSP, login lockout, two-factor authentication for the
    admin, upload and rich-text safety, embed allow-list (docs/security.md)."""

    name = "masthead.security"
    label = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        from masthead.security import checks  # noqa: F401  (registers the deploy checks)
