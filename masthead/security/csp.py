"""The Content-Security-Policy, and nonces for the Wagtail admin's own inline initialisers.

The policy is CONTENT_SECURITY_POLICY in the settings (django-csp 4). Reader pages are cached
whole (Varnish, the app page cache), so what they get must not vary per request: scripts from
this site only, no nonce, no inline script, style or event handler (tests/security check the
templates). A response gets a nonce only if something asked for `request.csp_nonce` while it
was made, and only the admin does.

Wagtail 8's admin still writes a few inline `<script>`s of its own: chooser widgets
(`new ImageChooser("id_top_image", {...});`), date pickers (`initDateTimeChooser(...)`) and
inline panels (`new InlinePanel(JSON.parse("..."))`). Their markup comes from Python and from
widget templates that cannot see the request, so `AdminScriptNonceMiddleware` adds the
response's nonce to them afterwards, but only to scripts that are exactly one of those calls
with nothing but JSON data as arguments. Any other inline script gets no nonce and the browser
refuses to run it: a script injected into an admin page is not blessed along with Wagtail's.
The admin also needs inline styles (its widgets and jQuery plugins set them), data:/blob:
images (upload previews) and same-site frames (the live preview): added for /admin/ only.
Browsers report what the policy refuses to /csp-report/ (`csp_reports`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from functools import lru_cache

from csp.constants import HEADER, SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import reverse

log = logging.getLogger(__name__)

ADMIN_UPDATE = {
    "style-src": [UNSAFE_INLINE],
    "img-src": ["data:", "blob:"],
    "font-src": ["data:"],
}
ADMIN_REPLACE = {"frame-src": [SELF]}  # the editor's live preview is a same-site iframe
# Reader views that hand the reader over to another site by redirecting a form post
# (Chrome applies form-action to the redirect): the Mastodon share hand-off.
HANDOFF_VIEWS = frozenset({"share-mastodon"})


@lru_cache(maxsize=1)
def admin_prefix() -> str:
    return reverse("wagtailadmin_home")


def is_admin(request) -> bool:
    return request.path_info.startswith(admin_prefix())


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware with the admin's additions, frame-ancestors that follow
    X-Frame-Options (Wagtail lets its own preview be framed by the admin), and a header that
    lists directives in the same order in every process."""

    def get_policy_parts(self, request, response, report_only: bool = False):
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        update = dict(parts.update or {})
        replace = dict(parts.replace or {})
        if is_admin(request):
            for directive, sources in ADMIN_UPDATE.items():
                update[directive] = [*update.get(directive, []), *sources]
            replace.update(ADMIN_REPLACE)
        if response.get("X-Frame-Options", "").upper() == "SAMEORIGIN":
            replace["frame-ancestors"] = [SELF]
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name in HANDOFF_VIEWS:
            replace["form-action"] = [SELF, "https:"]
        parts.update, parts.replace = update or None, replace or None
        return parts

    def process_response(self, request, response):
        key = self._fixed_key(request, response)
        if key is not None and key in _FIXED:
            for name, value in _FIXED[key]:
                response[name] = value
            self._seal_nonce(request)
            return response
        before = {name for name, _ in response.items()}
        response = super().process_response(request, response)
        if HEADER in response:
            response[HEADER] = _ordered(response[HEADER])
            # Where `report-to csp` sends reports (masthead/security/csp_reports.py).
            response["Reporting-Endpoints"] = f'csp="{_report_uri()}"'
        if key is not None:
            _FIXED[key] = tuple((name, value) for name, value in response.items()
                                if name not in before)
        return response

    @staticmethod
    def _fixed_key(request, response):
        """What the headers of a response without a nonce or a per-view policy depend on (they
        are then computed once per process, not per response: reader pages are all alike), or
        None where they must be computed (the admin, nonces, per-view policies, debug pages)."""
        if (getattr(request, "_csp_nonce", None) is not None or is_admin(request)
                or any(hasattr(response, name) for name in _PER_RESPONSE)
                or (settings.DEBUG and response.status_code in (404, 500))
                or HEADER in response):
            return None
        match = getattr(request, "resolver_match", None)
        prefixes = (settings.CONTENT_SECURITY_POLICY or {}).get("EXCLUDE_URL_PREFIXES") or ()
        return (response.get("X-Frame-Options", "").upper() == "SAMEORIGIN",
                match is not None and match.url_name in HANDOFF_VIEWS,
                bool(prefixes) and request.path_info.startswith(tuple(prefixes)))

    def _seal_nonce(self, request):
        """As django-csp does once the header is written: a nonce asked for later is an error."""
        from csp.middleware import CheckableLazyObject

        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)


# Headers of responses whose policy is fixed, by _fixed_key (cleared when settings change).
_FIXED: dict[tuple, tuple] = {}
_PER_RESPONSE = ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt",
                 "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro", "_csp_exempt_ro")


@receiver(setting_changed)
def _settings_changed(**kwargs):
    _FIXED.clear()
    _directive_order.cache_clear()
    _report_uri.cache_clear()


@lru_cache(maxsize=1)
def _directive_order() -> dict[str, int]:
    names = list(settings.CONTENT_SECURITY_POLICY.get("DIRECTIVES", {}))
    return {name: i for i, name in enumerate(names)}


@lru_cache(maxsize=1)
def _report_uri() -> str:
    return settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"][0]


def _ordered(policy: str) -> str:
    order = _directive_order()
    parts = [p.strip() for p in policy.split(";") if p.strip()]
    parts.sort(key=lambda p: (order.get(p.split(" ", 1)[0], len(order)), p))
    return "; ".join(parts)


# --- Nonces for the admin's vetted inline scripts

CHOOSERS = frozenset({"Chooser", "PageChooser", "ImageChooser", "DocumentChooser", "SnippetChooser"})
INITIALISERS = frozenset({"initDateChooser", "initTimeChooser", "initDateTimeChooser",
                          "createTaskChooser"})
PANELS = frozenset({"InlinePanel", "MultipleChooserPanel"})

_NEW_CHOOSER = re.compile(r"new ([A-Za-z]+)\((.*)\);", re.S)
_CALL = re.compile(r"([A-Za-z]+)\((.*)\);", re.S)
_PANEL = re.compile(
    r"\(function\(\)\s*\{\s*var panel = new ([A-Za-z]+)\(JSON\.parse\((\"[^\"\\]*(?:\\.[^\"\\]*)*\")\)\);"
    r"\s*\}\)\(\);",
    re.S,
)
# A start tag (quoted attribute values may hold ">"), its content, and the end tag as the HTML
# tokenizer finds it.
SCRIPT = re.compile(
    r"<script\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>(.*?)</script(?=[\s/>])", re.S | re.I
)
_ATTRIBUTE = re.compile(r"""\s([a-z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""", re.I)
JS_TYPES = frozenset({"", "module", "text/javascript", "application/javascript"})


def script_attributes(attrs: str) -> dict[str, str]:
    return {m[1].lower(): (m[2] or m[3] or m[4] or "") for m in _ATTRIBUTE.finditer(attrs)}


def runs_inline(attrs: str) -> bool:
    """True for a <script> whose content the browser would run (no src, a JavaScript type)."""
    found = script_attributes(attrs)
    return "src" not in found and found.get("type", "").strip().lower() in JS_TYPES


def _only_data(arguments: str) -> bool:
    """True if `arguments` is a comma-separated list of JSON values and nothing else."""
    def refuse(name):
        raise ValueError(name)

    try:
        json.loads(f"[{arguments}]", parse_constant=refuse)
    except ValueError:
        return False
    return True


def is_vetted(body: str) -> bool:
    """True if an inline script is exactly one of Wagtail's initialiser calls with JSON data."""
    body = body.strip()
    lowered = body.lower()
    if "<!--" in lowered or "<script" in lowered:  # could change where the browser ends it
        return False
    for pattern, names in ((_NEW_CHOOSER, CHOOSERS), (_CALL, INITIALISERS), (_PANEL, PANELS)):
        match = pattern.fullmatch(body)
        if match and match[1] in names:
            return _only_data(match[2])
    return False


def stamp_nonces(html: str, nonce: Callable[[], str]) -> tuple[str, list[str]]:
    """`html` with the nonce on every vetted inline script, and the refused scripts' openings.

    `nonce` is called only if a script is stamped (asking django-csp for a nonce puts one in
    the header)."""
    refused: list[str] = []

    def stamp(match: re.Match) -> str:
        attrs, body = match[1], match[2]
        if not runs_inline(attrs) or "nonce" in script_attributes(attrs):
            return match[0]  # external, a data block (JSON, templates), or already stamped
        if not is_vetted(body):
            refused.append(body.strip()[:80])
            return match[0]
        return f'<script nonce="{nonce()}"{attrs}>{body}</script'

    return SCRIPT.sub(stamp, html), refused


class AdminScriptNonceMiddleware:
    """Adds the response's CSP nonce to the admin's vetted inline scripts (see module doc)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not is_admin(request)
            or response.streaming
            or not response.get("Content-Type", "").startswith("text/html")
            or b"<script" not in response.content
        ):
            return response
        html = response.content.decode(response.charset)
        stamped, refused = stamp_nonces(html, lambda: str(request.csp_nonce))
        for opening in refused:
            log.warning("Inline script in %s left without a CSP nonce: %r", request.path, opening)
        if stamped != html:
            response.content = stamped.encode(response.charset)
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response
