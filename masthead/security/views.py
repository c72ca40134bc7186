"""The admin's two-factor pages: set up an authenticator app, and give a code after signing in."""

from __future__ import annotations

from base64 import b32encode

import segno
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from masthead.security import two_factor
from masthead.security.forms import CodeForm

WRONG_CODE = ("That code is not right. Codes change every 30 seconds: type the one your app "
              "shows now. After several wrong codes you have to wait a little before trying again.")


@never_cache
@require_http_methods(["GET", "POST"])
def setup(request):
    user = request.user
    if two_factor.has_device(user):
        if not user.is_verified():
            return redirect("security_2fa_verify")
        return TemplateResponse(request, "security/two_factor_status.html", {})
    device = two_factor.enrolment_device(user=user)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        if two_factor.device_confirm(request=request, device=device, token=form.cleaned_data["code"]):
            messages.success(request, "Two-factor authentication is on for your account.")
            return redirect(two_factor.safe_next(request))
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


def _chunks(text: str, size: int = 4) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def lockout(request, original_response=None, credentials=None):
    """What django-axes shows instead of signing in while an account or address is locked."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    response = render(request, "security/lockout.html",
                      {"wait": f"{minutes} minute{'s' if minutes != 1 else ''}"}, status=429)
    response["Cache-Control"] = "no-store"
    return response
