from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from masthead.editorial import conflicts
from masthead.editorial.models import Author, Kind, Section


class AuthorViewSet(SnippetViewSet):
    model = Author
    icon = "user"
    list_display = ["name", "role", "title"]
    list_filter = ["role"]
    search_fields = ["name"]
    # Search with the database: Wagtail's index cannot filter a search by role (a 500).
    search_backend_name = None


class SectionViewSet(SnippetViewSet):
    model = Section
    icon = "folder-open-inverse"
    list_display = ["name", "slug", "sort_order"]


class KindViewSet(SnippetViewSet):
    model = Kind
    icon = "tag"
    list_display = ["name", "slug", "sort_order", "in_round_up"]


class NewsroomGroup(SnippetViewSetGroup):
    items = (AuthorViewSet, SectionViewSet, KindViewSet)
    menu_icon = "group"
    menu_label = "Newsroom"
    menu_name = "newsroom"
    menu_order = 200


register_snippet(NewsroomGroup)

# Two editors saving the same page: the second is told (masthead/editorial/conflicts.py).
hooks.register("before_edit_page", conflicts.note_newer_revision)
hooks.register("after_edit_page", conflicts.warn_if_overwrote)
