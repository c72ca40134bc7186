"""The admin's two-factor pages (set up an authenticator app, give a code or a recovery code
after signing in, make new recovery codes, an administrator's reset of someone's 2FA), the
lockout page, and the endpoint browsers send Content-Security-Policy violation reports to."""

from __future__ import annotations

import logging
from base64 import b32encode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from masthead.core.clientip import client_ip
from masthead.security import csp_reports, recovery, two_factor
from masthead.security.forms import CodeForm, RecoveryCodeForm

log = logging.getLogger(__name__)

WRONG_CODE = ("That code is not right. Codes change every 30 seconds: type the one your app "
              "shows now. After several wrong codes you have to wait a little before trying again.")
WRONG_RECOVERY_CODE = ("That recovery code is not right, or it has been used already. After "
                       "several wrong codes you have to wait a little before trying again.")


@never_cache
@require_http_methods(["GET", "POST"])
def setup(request):
    user = request.user
    if two_factor.has_device(user):
        if not user.is_verified():
            return redirect("security_2fa_verify")
        return TemplateResponse(request, "security/two_factor_status.html",
                                {"codes_left": recovery.codes_left(user)})
    device = two_factor.enrolment_device(user=user)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        codes = two_factor.device_confirm(request=request, device=device,
                                          token=form.cleaned_data["code"])
        if codes:
            messages.success(request, "Two-factor authentication is on for your account.")
            return _recovery_codes_page(request, codes, two_factor.safe_next(request))
        form.add_error("code", WRONG_CODE)
    return TemplateResponse(request, "security/two_factor_setup.html", {
        "form": form,
        "qr_svg": mark_safe(segno.make(device.config_url, error="m").svg_inline(scale=5)),
        "secret": " ".join(_chunks(b32encode(device.bin_key).decode())),
        "required": two_factor.must_enrol(user),
        "next": two_factor.safe_next(request),
    })


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request):
    if not two_factor.has_device(request.user):
        return redirect("security_2fa_setup")
    form = CodeForm(request.POST or None)
    if form.is_valid():
        if two_factor.session_verify(request=request, token=form.cleaned_data["code"]):
            return redirect(two_factor.safe_next(request))
        form.add_error("code", WRONG_CODE)
    return TemplateResponse(request, "security/two_factor_verify.html", {
        "form": form, "next": two_factor.safe_next(request),
    })


@never_cache
@require_http_methods(["GET", "POST"])
def recover(request):
    """The sign-in step with a recovery code instead of the app's code."""
    if not two_factor.has_device(request.user):
        return redirect("security_2fa_setup")
    form = RecoveryCodeForm(request.POST or None)
    if form.is_valid():
        if recovery.code_use(request=request, code=form.cleaned_data["code"]):
            left = recovery.codes_left(request.user)
            messages.warning(request, f"You signed in with a recovery code: {left} of your "
                             "codes left. Make new ones from your two-factor page if you run low.")
            return redirect(two_factor.safe_next(request))
        form.add_error("code", WRONG_RECOVERY_CODE)
    return TemplateResponse(request, "security/two_factor_recover.html", {
        "form": form, "next": two_factor.safe_next(request),
    })


@never_cache
@require_POST
def recovery_codes_new(request):
    """A new set of recovery codes (the old set stops working), for a verified session only."""
    user = request.user
    if not two_factor.has_device(user):
        return redirect("security_2fa_setup")
    if not user.is_verified():
        return redirect("security_2fa_verify")
    codes = recovery.codes_issue(user=user)
    messages.success(request, "New recovery codes made; the old ones no longer work.")
    return _recovery_codes_page(request, codes, reverse("security_2fa_setup"))


def _recovery_codes_page(request, codes: list[str], next_url: str) -> TemplateResponse:
    return TemplateResponse(request, "security/recovery_codes.html",
                            {"codes": codes, "next": next_url})


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_reset(request, user_id: int):
    """An administrator removes someone's authenticator app and recovery codes (a lost phone,
    a locked-out editor): they set up a new app at their next sign-in."""
    if not request.user.is_superuser:
        raise PermissionDenied
    person = get_object_or_404(get_user_model(), pk=user_id)
    if request.method == "POST":
        removed = two_factor.devices_reset(user=person)
        log.warning("%s reset the two-factor authentication of %s (%d device(s) removed)",
                    request.user.get_username(), person.get_username(), removed)
        messages.success(request, f"Two-factor authentication reset for {person.get_username()}: "
                         "they set up a new authenticator app at their next sign-in.")
        return redirect("wagtailusers_users:index")
    return TemplateResponse(request, "security/two_factor_reset.html", {
        "person": person, "enrolled": two_factor.has_device(person),
        "codes_left": recovery.codes_left(person),
    })


def _chunks(text: str, size: int = 4) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def lockout(request, original_response=None, credentials=None):
    """What django-axes shows instead of signing in while an account or address is locked."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    response = render(request, "security/lockout.html",
                      {"wait": f"{minutes} minute{'s' if minutes != 1 else ''}"}, status=429)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt  # browsers post reports without a token; nothing here acts for a user
@never_cache
@require_POST
def csp_report(request):
    """Log the violations a browser reports (masthead/security/csp_reports.py); 204, or 413 for
    a body over 16 KB, 415 for another content type, 400 for anything that is not a report,
    429 when this address has sent too many lately."""
    ip = client_ip(request)
    if not csp_reports.within_rate(ip):
        return HttpResponse(status=429)
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit():
        return HttpResponse(status=400)
    if int(declared) > csp_reports.MAX_BODY_BYTES:  # refused unread
        return HttpResponse(status=413)
    body = request.read(csp_reports.MAX_BODY_BYTES + 1)
    if len(body) > csp_reports.MAX_BODY_BYTES:
        return HttpResponse(status=413)
    try:
        violations = csp_reports.violations_from(body, request.content_type)
    except csp_reports.UnsupportedType:
        return HttpResponse(status=415)
    except csp_reports.BadReport:
        return HttpResponse(status=400)
    csp_reports.violations_log(violations, ip=ip)
    return HttpResponse(status=204)
