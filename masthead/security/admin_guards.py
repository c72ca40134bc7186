"""Clear answers to malformed admin requests, and a cap on admin searches (issue 6).

Wagtail 8.0.1 answers some hand-made or incomplete admin requests with a server error. Bad
input gets a clear message and changes nothing instead; each guard checks the one thing the
screen needs, where Wagtail would otherwise fail on it:

* The page editor (add, edit, revert to a revision): a POST whose StreamField data (`body-count`
  and the rows under it) is missing or unreadable is answered 400, "The form was incomplete".
  Checked in Wagtail's `before_create_page` / `before_edit_page` hooks (registered in
  wagtail_hooks.py), which run after Wagtail's own permission checks.
* Copying a page: a POST without an existing destination (`new_parent_page`) is answered 400
  (`before_copy_page`).
* `AdminGuardMiddleware`, for screens without such a hook, acting only where the view itself
  would have let the user in:
  - the external-link chooser: a POST without its URL field is answered 400;
  - a snippet chooser's "create" step, when the chooser has no creation form: 400;
  - the redirects import confirmation without its signed file data, or once its upload has been
    used or has expired: a message and back to the import page;
  - deleting an image from the multiple-upload screen while articles use it (a ProtectedError):
    400 with "This image is used as the top image of N articles and cannot be deleted";
  - searches: `q` (and the admin API's `search`) on admin GETs is cut to MAX_SEARCH_WORDS words
    and MAX_SEARCH_CHARS characters, with a notice. The database search backend nests one
    clause per word and overflows Python's recursion limit on a few thousand words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from django.contrib import messages
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from wagtail.contrib.redirects.forms import ConfirmImportManagementForm
from wagtail.contrib.redirects.models import Redirect
from wagtail.fields import StreamField
from wagtail.images import get_image_model
from wagtail.models import Page
from wagtail.permissions import policy_registry

from masthead.security.csp import is_admin

INCOMPLETE = "The form was incomplete; reload the page and try again."
NO_DESTINATION = "The page chosen as the new parent does not exist; choose another and try again."
NO_CHOOSER_FORM = "New items cannot be created from this chooser; add one from its own menu."
IMPORT_EXPIRED = ("This import is no longer available (it was already imported, it expired, or "
                  "its form was incomplete); upload the file again.")

MAX_SEARCH_WORDS = 32
MAX_SEARCH_CHARS = 500
SEARCH_PARAMETERS = ("q", "search")  # listings and choosers; the admin's own API
SEARCH_SHORTENED = (f"Your search was shortened: searches use at most {MAX_SEARCH_WORDS} "
                    f"words and {MAX_SEARCH_CHARS} characters.")


def refusal(request: HttpRequest, message: str) -> HttpResponse:
    """400 with `message`: JSON for the editor's script (as Wagtail's own JSON errors), plain
    text otherwise."""
    if not request.accepts("text/html"):
        return JsonResponse({"success": False, "error_code": "bad_request",
                             "error_message": message}, status=400)
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


# --- the page editor (Wagtail hooks)


def page_stream_fields(page_class) -> list[StreamField]:
    """The StreamFields the page type's editor form posts."""
    form_fields = page_class.get_edit_handler().get_form_options().get("fields", ())
    return [field for field in page_class._meta.concrete_fields
            if isinstance(field, StreamField) and field.name in form_fields]


def stream_data_incomplete(request: HttpRequest, page_class) -> bool:
    """Whether Wagtail would fail to read the posted StreamField data: its management fields
    (`<name>-count`, each row's `-type`, `-order`, `-deleted`, nested lists and streams) are
    missing or not numbers. Reading it is what Wagtail does next, so the same reading decides."""
    for field in page_stream_fields(page_class):
        block = field.stream_block
        if block.value_omitted_from_data(request.POST, request.FILES, field.name):
            return True
        try:
            block.value_from_datadict(request.POST, request.FILES, field.name)
        except (KeyError, ValueError):  # a missing key, or "count"/"order" not a number
            return True
    return False


def before_create_page(request, parent_page, page_class):
    """Wagtail hook: refuse an incomplete new-page form before Wagtail reads it."""
    if request.method == "POST" and stream_data_incomplete(request, page_class):
        return refusal(request, INCOMPLETE)
    return None


def before_edit_page(request, page):
    """Wagtail hook (edit and revert): refuse an incomplete page form before Wagtail reads it."""
    if request.method == "POST" and stream_data_incomplete(request, type(page)):
        return refusal(request, INCOMPLETE)
    return None


def before_copy_page(request, page):
    """Wagtail hook: a copy needs an existing destination page, which Wagtail looks up first."""
    if request.method != "POST":
        return None
    parent_id = request.POST.get("new_parent_page", "")
    if not parent_id.isdigit() or not Page.objects.filter(pk=int(parent_id)).exists():
        return refusal(request, NO_DESTINATION)
    return None


# --- screens without a hook (the middleware)


def _has_redirect_permission(user) -> bool:
    """What Wagtail's import views require (`permission_checker.require_any("add")`)."""
    return policy_registry.get_by_type(Redirect).user_has_any_permission(user, ["add"])


def external_link_incomplete(request, view_func, view_kwargs) -> HttpResponse | None:
    """The external-link chooser reads its URL field as a string."""
    view_class = view_func.view_class
    field = f"{view_class.form_prefix}-{view_class.link_url_field_name}"
    if request.user.has_perm("wagtailadmin.access_admin") and field not in request.POST:
        return refusal(request, INCOMPLETE)
    return None


def chooser_cannot_create(request, view_func, view_kwargs) -> HttpResponse | None:
    """A snippet chooser's "create" step, for a chooser that has no creation form."""
    view = view_func.view_class(**view_func.view_initkwargs)
    view.setup(request, **view_kwargs)
    if view.can_create() and view.get_creation_form_class() is None:
        return refusal(request, NO_CHOOSER_FORM)
    return None  # Wagtail turns away who may not create, and handles a real form


def redirect_import_incomplete(request, view_func, view_kwargs) -> HttpResponse | None:
    """The import confirmation carries the uploaded file's name and format, signed."""
    if not _has_redirect_permission(request.user):
        return None
    if all(request.POST.get(name) for name in ConfirmImportManagementForm.base_fields):
        return None
    return import_expired(request)


def import_expired(request) -> HttpResponse:
    messages.error(request, IMPORT_EXPIRED)
    return redirect("wagtailredirects:start_import")


def image_in_use(request, exception) -> HttpResponse | None:
    """Deleting an image articles still show (PROTECT): say where, and delete nothing. The
    upload screen's script shows no error of its own, so the message also waits for the next
    admin page."""
    if not isinstance(exception, ProtectedError):
        return None
    message = in_use_message(get_image_model(), exception.protected_objects)
    messages.error(request, message)
    return JsonResponse({"success": False, "error_code": "in_use", "error_message": message},
                        status=400)


def redirect_import_gone(request, exception) -> HttpResponse | None:
    """The signed file of an import confirmation no longer exists (imported or expired)."""
    if isinstance(exception, FileNotFoundError) and _has_redirect_permission(request.user):
        return import_expired(request)
    return None


def in_use_message(model, protected_objects) -> str:
    """"This image is used as the top image of 2 articles and cannot be deleted." """
    uses: Counter = Counter()
    for obj in protected_objects:
        field = next((f for f in obj._meta.concrete_fields
                      if f.many_to_one and f.related_model is model), None)
        uses[(field.verbose_name if field else "", obj._meta)] += 1
    parts = []
    for (role, meta), count in uses.items():
        things = f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}"
        parts.append(f"as the {role} of {things}" if role else f"by {things}")
    return f"This {model._meta.verbose_name} is used {' and '.join(parts)} and cannot be deleted."


# view name → guard before the view (POST only) / handler of an exception from the view
BEFORE_VIEW: dict[str, Callable] = {
    "wagtailadmin_choose_page_external_link": external_link_incomplete,
    "wagtailredirects:process_import": redirect_import_incomplete,
}
BEFORE_VIEW_SUFFIX: dict[tuple[str, str], Callable] = {
    ("wagtailsnippetchoosers_", ":create"): chooser_cannot_create,
}
ON_EXCEPTION: dict[str, Callable] = {
    "wagtailimages:delete_multiple": image_in_use,
    "wagtailredirects:process_import": redirect_import_gone,
}


def _before_view_guard(view_name: str) -> Callable | None:
    if view_name in BEFORE_VIEW:
        return BEFORE_VIEW[view_name]
    for (prefix, suffix), guard in BEFORE_VIEW_SUFFIX.items():
        if view_name.startswith(prefix) and view_name.endswith(suffix):
            return guard
    return None


# --- searches


def shortened_search(query: str) -> str:
    """`query` cut to its first MAX_SEARCH_WORDS words and MAX_SEARCH_CHARS characters."""
    words = query.split()
    if len(words) <= MAX_SEARCH_WORDS and len(query) <= MAX_SEARCH_CHARS:
        return query
    short = " ".join(words[:MAX_SEARCH_WORDS])
    if len(short) > MAX_SEARCH_CHARS:
        cut = short[:MAX_SEARCH_CHARS + 1]
        short = cut.rsplit(" ", 1)[0] if " " in cut else cut[:MAX_SEARCH_CHARS]
    return short


def cap_search(request: HttpRequest) -> bool:
    """Shorten over-long search parameters of this request in place; True if any was."""
    shortened = {}
    for name in SEARCH_PARAMETERS:
        values = request.GET.getlist(name)
        short = [shortened_search(v) for v in values]
        if short != values:
            shortened[name] = short
    if not shortened:
        return False
    params = request.GET.copy()
    for name, short in shortened.items():
        params.setlist(name, short)
    params._mutable = False
    request.GET = params
    request.META["QUERY_STRING"] = params.urlencode()  # what get_full_path() and links show
    return True


class AdminGuardMiddleware:
    """Runs the guards above on admin requests (after authentication, CSRF and messages)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD") and is_admin(request) and cap_search(request):
            # Not for a script's partial answer (results, choosers): it shows no messages, and
            # the notice would wait for some later page.
            if request.headers.get("x-requested-with") != "XMLHttpRequest":
                messages.info(request, SEARCH_SHORTENED)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or not is_admin(request):
            return None
        match = request.resolver_match
        guard = _before_view_guard(match.view_name) if match else None
        return guard(request, view_func, view_kwargs) if guard else None

    def process_exception(self, request, exception):
        match = getattr(request, "resolver_match", None)
        handler = ON_EXCEPTION.get(match.view_name) if match else None
        return handler(request, exception) if handler else None
