"""Provider webhooks: anymail's own views at /newsletter/webhooks/anymail/<esp>/tracking/ (and inbound/).

Anymail parses each provider's payload into AnymailTrackingEvent objects and sends the
`anymail.signals.tracking` signal; signal_handlers.py bridges it to the subscriber services.

Anymail accepts unauthenticated posts (with a warning) when no WEBHOOK_SECRET is set, which would
let anyone suppress any address. Here the webhooks answer 404 until ANYMAIL_WEBHOOK_SECRET is set;
the provider then posts with it as HTTP basic auth (https://user:password@host/...).
"""

from __future__ import annotations

from functools import wraps

from anymail import urls as anymail_urls
from anymail.utils import get_anymail_setting
from django.http import Http404
from django.urls import URLPattern, include, path
from django.views.decorators.csrf import csrf_exempt


def _secret_configured() -> bool:
    return bool(get_anymail_setting("webhook_secret", default=None))


def _requires_secret(view):
    @csrf_exempt
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not _secret_configured():
            raise Http404("Provider webhooks are off until ANYMAIL_WEBHOOK_SECRET is set")
        return view(request, *args, **kwargs)

    return guarded


def _webhook_patterns() -> list[URLPattern]:
    """Anymail's tracking and inbound webhook routes, each behind the secret check.

    Inbound mail (…/anymail/<esp>/inbound/) is only used for unsubscribe requests mailed to the
    List-Unsubscribe address (services/inbound.py).
    """
    return [
        URLPattern(p.pattern, _requires_secret(p.callback), p.default_args, p.name)
        for p in anymail_urls.urlpatterns
        if isinstance(p, URLPattern) and p.name
        and p.name.endswith(("tracking_webhook", "inbound_webhook"))
    ]


urlpatterns = [path("anymail/", include((_webhook_patterns(), "anymail")))]
