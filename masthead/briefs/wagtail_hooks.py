from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from masthead.briefs.models import Brief


class BriefViewSet(SnippetViewSet):
    model = Brief
    icon = "comment"
    menu_label = "Briefs"
    menu_order = 210
    add_to_admin_menu = True
    list_display = ["headline", "section", "live", "first_published_at"]
    list_filter = ["section", "live"]
    search_fields = ["headline"]
    # Search the listing with the database, not Wagtail's index: the SQLite index cannot limit a
    # search to one field, filter it by section or sort it by date (each was a 500).
    search_backend_name = None
    ordering = ["-first_published_at"]


register_snippet(BriefViewSet)
