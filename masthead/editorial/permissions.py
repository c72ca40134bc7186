"""Section desks: editors limited to the articles of one section (or a few).

Wagtail grants page permissions on a part of the page tree, and every article sits under the one
Articles page, so a permission cannot name a section. A desk is a group named
"Section editors: <section name>" (DESK_PREFIX) given the usual page permissions on Articles
(add, edit, publish, lock, unlock). Those permissions count in full only on articles whose
primary section is the desk's, in the live page and in its newest draft alike; anywhere else
(other sections, the Articles page itself) a desk's permissions shrink to "add": its members
write and edit their own drafts there, as contributors do, and cannot publish them. Permissions
from other groups (Editors, say) are not touched.

`ArticlePage` and `ArticleIndexPage` return `DeskPermissionTester` from `permissions_for_user`,
which every admin view, bulk action and publish action asks, and `ArticlePageForm` refuses a
primary section outside the user's desks, so a desk editor cannot move a story to another desk
and publish it there.
"""

from __future__ import annotations

from wagtail.models import PagePermissionTester

DESK_PREFIX = "Section editors: "
OWN_PAGES = "add"  # what a desk's permissions leave outside its sections
_CACHE = "_masthead_desk_sections"


def desk_sections(user) -> dict[int, frozenset[int]]:
    """The user's desks as {group id: section ids}; empty for everyone else. Cached on `user`."""
    if not getattr(user, "is_authenticated", False) or user.is_superuser:
        return {}
    if not hasattr(user, _CACHE):
        from masthead.editorial.models import Section

        groups = list(user.groups.filter(name__startswith=DESK_PREFIX).values_list("id", "name"))
        desks = {}
        if groups:
            by_label = {}
            for pk, name, slug in Section.objects.values_list("pk", "name", "slug"):
                by_label[name.casefold()] = by_label[slug.casefold()] = pk
            for group_id, name in groups:
                labels = name[len(DESK_PREFIX):].split(",")
                desks[group_id] = frozenset(by_label[label.strip().casefold()]
                                            for label in labels
                                            if label.strip().casefold() in by_label)
        setattr(user, _CACHE, desks)
    return getattr(user, _CACHE)


def user_sections(user) -> frozenset[int] | None:
    """Section ids a desk editor may give an article; None when the user has no desk."""
    desks = desk_sections(user)
    return frozenset().union(*desks.values()) if desks else None


def article_sections(page) -> set[int | None]:
    """The primary section of the page as stored and as its newest draft has it."""
    sections = {getattr(page, "section_id", None)}
    revision_id = getattr(page, "latest_revision_id", None)
    if revision_id and page.has_unpublished_changes:
        from wagtail.models import Revision

        content = Revision.objects.filter(pk=revision_id).values_list("content", flat=True).first()
        if content:
            sections.add(content.get("section"))
    return sections


class DeskPermissionTester(PagePermissionTester):
    """Wagtail's page permissions, with desk groups' permissions scoped to their sections."""

    def __init__(self, user, page):
        super().__init__(user, page)
        desks = desk_sections(user) if user.is_active else {}
        if not desks:
            return
        sections = article_sections(page) if hasattr(page, "section_id") else {None}
        actions = set()
        for perm in self.permission_policy.get_cached_permissions_for_user(user):
            if not page.path.startswith(perm.page.path):
                continue
            action = perm.permission.codename.rsplit("_", maxsplit=1)[0]
            desk = desks.get(perm.group_id)
            if desk is None or action == OWN_PAGES or sections <= desk:
                actions.add(action)
        self.permissions = actions


def section_refused(user, section) -> str | None:
    """Why `user` may not make `section` an article's primary section, or None if they may."""
    allowed = user_sections(user) if user is not None else None
    if allowed is None or section is None or section.pk in allowed:
        return None
    return (f"You edit the {_names(allowed)} desk: “{section}” is another desk's section. "
            "Ask an editor to move the story.")


def _names(section_ids) -> str:
    from masthead.editorial.models import Section

    return " and ".join(Section.objects.filter(pk__in=section_ids).values_list("name", flat=True))
