"""Warn an editor whose save went over someone else's newer version of the same page.

The edit form carries the revision it was loaded from (`loaded_revision_id` and its creation
time). Wagtail refuses an out-of-date autosave, but an explicit Save or Publish goes ahead
without a word, so the second editor would not know that the first one's text is no longer the
latest. Both versions stay in the page's history either way; these two hooks (registered in
wagtail_hooks.py) tell the second editor so, naming who saved in between and when.
"""

from __future__ import annotations

from django.contrib import messages
from django.utils import timezone
from django.utils.html import format_html
from wagtail.admin.utils import get_user_display_name

_NEWER = "_masthead_newer_revision"


def _newer_revision(request, page):
    """The page's latest revision if the posted form was loaded from an older one (as Wagtail
    decides for autosave: the editor's own autosaved revision, or the loaded one and its time)."""
    latest = page.latest_revision
    if latest is None:
        return None
    if overwrite_id := request.POST.get("overwrite_revision_id"):
        return latest if overwrite_id != str(latest.pk) else None
    loaded_id = request.POST.get("loaded_revision_id")
    if not loaded_id:
        return None  # an old form without the marker: nothing to compare
    loaded_at = request.POST.get("loaded_revision_created_at", "")
    stale = loaded_id != str(latest.pk) or loaded_at != latest.created_at.isoformat()
    return latest if stale else None


def note_newer_revision(request, page):
    """before_edit_page: remember, before this save, whether someone saved since the form loaded."""
    if request.method == "POST":
        setattr(request, _NEWER, _newer_revision(request, page))


def warn_if_overwrote(request, page):
    """after_edit_page: the save went through; warn if it went over a newer version."""
    newer = getattr(request, _NEWER, None)
    if newer is None:
        return
    when = timezone.localtime(newer.created_at).strftime("%H:%M")
    if newer.user_id == request.user.pk:
        who = "You"
        where = " in another window"
    else:
        who = get_user_display_name(newer.user) if newer.user else "Someone"
        where = ""
    messages.warning(request, format_html(
        "{} saved a newer version of this page{} at {} while you were editing; yours was saved "
        "after it, and both versions are kept in the page's history.", who, where, when))
