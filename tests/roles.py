"""The newsroom's roles as test users: one builder per role, and the section desk groups.

ROLES names them in order of reach. `user_for(role)` makes a user of that role (None for
anonymous); `client_for(role)` a logged-in test client. The groups come from the migrations
(Contributors, Editors); a section desk ("Section editors: Europe", masthead.editorial.permissions)
is built here the way docs/editors.md tells an administrator to build it in the admin.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from wagtail.models import GroupCollectionPermission, GroupPagePermission

from masthead.editorial.models import ArticleIndexPage
from masthead.editorial.permissions import DESK_PREFIX

ANONYMOUS = "anonymous"
CONTRIBUTOR = "contributor"
SECTION_EDITOR = "section_editor"  # the Europe desk
EDITOR = "editor"
ADMINISTRATOR = "administrator"
ROLES = (ANONYMOUS, CONTRIBUTOR, SECTION_EDITOR, EDITOR, ADMINISTRATOR)
DESK_SECTION = "Europe"

DESK_PAGE_ACTIONS = ("add_page", "change_page", "publish_page", "lock_page", "unlock_page")


def desk_group(section_name: str = DESK_SECTION) -> Group:
    """ "Section editors: <section>": what Contributors have, plus page permissions on Articles."""
    group, created = Group.objects.get_or_create(name=f"{DESK_PREFIX}{section_name}")
    if created:
        contributors = Group.objects.get(name="Contributors")
        group.permissions.set(contributors.permissions.all())
        for perm in GroupCollectionPermission.objects.filter(group=contributors):
            GroupCollectionPermission.objects.create(group=group, collection=perm.collection,
                                                     permission=perm.permission)
        index = ArticleIndexPage.objects.get()
        for codename in DESK_PAGE_ACTIONS:
            GroupPagePermission.objects.create(
                group=group, page=index,
                permission=Permission.objects.get(content_type__app_label="wagtailcore",
                                                  codename=codename))
    return group


def user_for(role: str, username: str | None = None) -> User | None:
    if role == ANONYMOUS:
        return None
    username = username or role
    email = f"{username}@example.org"
    if role == ADMINISTRATOR:
        return User.objects.create_superuser(username, email, "pw", first_name=username.title())
    user = User.objects.create_user(username, email, "pw", first_name=username.title())
    if role == CONTRIBUTOR:
        user.groups.add(Group.objects.get(name="Contributors"))
    elif role == SECTION_EDITOR:
        user.groups.add(desk_group())
    elif role == EDITOR:
        user.groups.add(Group.objects.get(name="Editors"))
    else:
        raise ValueError(f"unknown role {role!r}")
    return user


def client_for(role: str, user: User | None = None) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    user = user if user is not None or role == ANONYMOUS else user_for(role)
    if user is not None:
        client.force_login(user)
    return client


def article_form(page, **overrides) -> dict:
    """The article editor's POST data for `page` as it stands, with `overrides`."""
    from wagtail.test.utils.form_data import (
        inline_formset,
        nested_form_data,
        rich_text,
        streamfield,
    )

    rows = [{"id": r.pk, "author": r.author_id, "ORDER": i + 1}
            for i, r in enumerate(page.authors.all())]
    data = {
        "title": page.title, "slug": page.slug, "dek": page.dek,
        "kind": page.kind_id or "", "section": page.section_id or "",
        "authors": inline_formset(rows, initial=len(rows)),
        "top_image": page.top_image_id or "", "top_image_alt": page.top_image_alt,
        "top_image_credit": page.top_image_credit, "top_image_caption": "",
        "body": streamfield([("paragraph", rich_text("<p>Body text.</p>"))]),
        "other_sections": [], "tags": "", "social_headline": "", "display_updated_at": "",
        "seo_title": "", "search_description": "", "go_live_at": "", "expire_at": "",
        "comments": inline_formset([]),
    }
    data.update(overrides)
    return nested_form_data(data)
