"""System checks for the hardening (`masthead check --deploy` runs the deploy-tagged ones)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security)
def check_script_policy(app_configs, **kwargs):
    directives = getattr(settings, "CONTENT_SECURITY_POLICY", {}).get("DIRECTIVES", {})
    scripts = directives.get("script-src") or directives.get("default-src") or []
    if "'unsafe-inline'" in scripts or "'unsafe-eval'" in scripts:
        return [Error(
            "The Content-Security-Policy lets inline or eval'd scripts run.",
            hint="Keep 'unsafe-inline' and 'unsafe-eval' out of script-src (docs/security.md).",
            id="masthead.security.E001",
        )]
    return []


@register(Tags.security, deploy=True)
def check_two_factor(app_configs, **kwargs):
    if not settings.REQUIRE_2FA_FOR_ADMINS:
        return [Warning(
            "Administrators can use the admin without two-factor authentication.",
            hint="Set REQUIRE_2FA_FOR_ADMINS=true (the default when SITE_URL is https://).",
            id="masthead.security.W001",
        )]
    return []


@register(Tags.security, deploy=True)
def check_proxy(app_configs, **kwargs):
    if settings.SITE_URL.startswith("https://") and not settings.SECURE_PROXY:
        return [Warning(
            "SITE_URL is https:// but SECURE_PROXY is off: the app cannot tell that requests "
            "came over TLS, so it sends no HSTS and does not redirect http to https.",
            hint="Behind a TLS proxy that sets X-Forwarded-Proto, set SECURE_PROXY=true.",
            id="masthead.security.W002",
        )]
    return []
