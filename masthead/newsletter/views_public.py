"""Reader pages of the newsletter: sign up, check your inbox, confirm, unsubscribe.

None of these responses may be cached (Cache-Control: private, no-store): they answer one
person's form or link. Sign-up carries no CSRF token (docs/decisions/0004); confirm and
unsubscribe are authorised by their signed token, so they are CSRF-exempt as well, which is
also what RFC 8058's one-click POST from a mail provider needs.
"""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseRedirect
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from masthead.core import versioning
from masthead.core.clientip import client_ip
from masthead.core.rendering import render_page
from masthead.editorial.chrome import chrome
from masthead.newsletter import selectors_subscribers as selectors
from masthead.newsletter.forms import PAGE_SOURCE, SignUpForm
from masthead.newsletter.models import Subscriber
from masthead.newsletter.ratelimit import RateLimited
from masthead.newsletter.services.subscribers import (
    ConfirmOutcome,
    subscriber_confirm,
    subscriber_sign_up,
    subscriber_unsubscribe,
)
from masthead.newsletter.wording import CONFIRM_WORDING, ONE_CLICK_WORDING, UNSUBSCRIBE_WORDING

NO_STORE = "private, no-store"
THANKS_URL = "/newsletter/thanks/"


class SeeOther(HttpResponseRedirect):
    status_code = 303


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = NO_STORE
    return response


def _page(request, template: str, context: dict | None = None, *, status: int = 200):
    ctx = chrome(versioning.current())
    return _no_store(render_page(request, template, {**ctx, **(context or {})}, status=status))


def _user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")


def _signup_page(request, form: SignUpForm, *, status: int = 200):
    values = {"email": form.data.get("email", ""), "name": form.data.get("name", "")}
    return _page(request, "newsletter/signup.html", {
        "page_title": "Newsletter",
        "newsletter_source": PAGE_SOURCE,
        "newsletter_errors": form.error_list() if form.is_bound else [],
        "newsletter_values": values,
    }, status=status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def signup(request):
    """GET: the sign-up page. POST: start the double opt-in, then "check your inbox".

    Every accepted post (new, pending, confirmed or unsubscribed address, or a bot in the
    honeypot) gets the same redirect, so the response says nothing about who is subscribed.
    """
    if request.method == "GET":
        return _signup_page(request, SignUpForm())
    if SignUpForm.is_bot(request.POST):
        return _no_store(SeeOther(THANKS_URL))
    form = SignUpForm(request.POST)
    if not form.is_valid():
        return _signup_page(request, form, status=400)
    try:
        subscriber_sign_up(
            email=form.cleaned_data["email"], name=form.cleaned_data["name"],
            source=SignUpForm.source(request.POST, referer=request.META.get("HTTP_REFERER", ""),
                                     host=request.get_host()),
            ip=client_ip(request),
            user_agent=_user_agent(request),
        )
    except RateLimited as exc:
        response = _page(request, "newsletter/rate_limited.html",
                         {"page_title": "Too many sign-ups",
                          "retry_minutes": max(1, exc.retry_after // 60)}, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    return _no_store(SeeOther(THANKS_URL))


@require_GET
def thanks(request):
    return _page(request, "newsletter/thanks.html", {"page_title": "Check your inbox"})


def _invalid_link(request, *, kind: str):
    return _page(request, "newsletter/link_invalid.html",
                 {"page_title": "Link not valid", "kind": kind}, status=400)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    """GET shows a Confirm button and changes nothing (mail scanners open links); POST confirms."""
    if request.method == "POST":
        outcome = subscriber_confirm(token=token, ip=client_ip(request),
                                     user_agent=_user_agent(request))
        if outcome == ConfirmOutcome.INVALID:
            return _invalid_link(request, kind="confirm")
        return _page(request, "newsletter/confirmed.html", {
            "page_title": "Subscription confirmed",
            "already": outcome == ConfirmOutcome.ALREADY_CONFIRMED,
        })
    subscriber = selectors.subscriber_by_confirm_token(token)
    if subscriber is None or subscriber.status not in (Subscriber.Status.PENDING,
                                                        Subscriber.Status.CONFIRMED):
        return _invalid_link(request, kind="confirm")
    if subscriber.status == Subscriber.Status.CONFIRMED:
        return _page(request, "newsletter/confirmed.html",
                     {"page_title": "Subscription confirmed", "already": True})
    return _page(request, "newsletter/confirm.html", {
        "page_title": "Confirm your subscription",
        "email": subscriber.email,
        "wording": CONFIRM_WORDING,
    })


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET shows an Unsubscribe button; its POST unsubscribes.

    A POST whose body is List-Unsubscribe=One-Click (RFC 8058, sent by the mail provider when the
    reader presses its Unsubscribe button) unsubscribes at once and answers in plain text: no
    login, cookie or redirect.
    """
    one_click = request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click"
    subscriber = selectors.subscriber_by_unsubscribe_token(token)
    if subscriber is None:
        if one_click:
            return _no_store(HttpResponse("This unsubscribe link is not valid.\n", status=400,
                                          content_type="text/plain; charset=utf-8"))
        return _invalid_link(request, kind="unsubscribe")
    if request.method == "GET":
        return _page(request, "newsletter/unsubscribe.html", {
            "page_title": "Unsubscribe",
            "email": subscriber.email,
            "wording": UNSUBSCRIBE_WORDING,
            "receiving": subscriber.status in (Subscriber.Status.PENDING,
                                               Subscriber.Status.CONFIRMED),
        })
    subscriber_unsubscribe(
        subscriber_id=subscriber.pk, source="one-click" if one_click else "unsubscribe-page",
        ip=client_ip(request), user_agent=_user_agent(request),
        wording=ONE_CLICK_WORDING if one_click else UNSUBSCRIBE_WORDING,
    )
    if one_click:
        return _no_store(HttpResponse("You have been unsubscribed from the weekly round-up.\n",
                                      content_type="text/plain; charset=utf-8"))
    return _page(request, "newsletter/unsubscribed.html",
                 {"page_title": "Unsubscribed", "email": subscriber.email})
