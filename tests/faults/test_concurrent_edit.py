"""Two editors save the same article: both versions are kept and the second editor is warned.

Both load the edit form (which carries the revision they started from, `loaded_revision_id`),
then both post their changes, without JavaScript, as the admin's form does.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.messages import get_messages
from django.test import Client
from wagtail.models import Revision

from tests import factories as f
from tests.editorial.test_admin_rules import _form

pytestmark = pytest.mark.django_db

HIDDEN = r'<input type="hidden" name="{}" value="([^"]*)">'


def _editor(name: str) -> Client:
    user = User.objects.create_user(name, f"{name}@example.org", "pw", is_staff=True,
                                    first_name=name.title())
    user.groups.add(Group.objects.get(name="Editors"))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def _open(client: Client, page) -> dict:
    """GET the edit form; the revision markers it carries, as the browser would post them."""
    html = client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    return {name: re.search(HIDDEN.format(name), html).group(1)
            for name in ("loaded_revision_id", "loaded_revision_created_at")}


def _save(client: Client, page, loaded: dict, dek: str, **actions):
    data = {**_form(page, dek=dek, **actions), **loaded}
    return client.post(f"/admin/pages/{page.pk}/edit/", data, follow=True)


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("second_action", [{}, {"action-publish": "action-publish"}],
                         ids=["save", "publish"])
def test_both_saves_are_kept_and_the_second_editor_is_warned(second_action):
    page = f.article()
    ada, bo = _editor("ada"), _editor("bo")
    ada_loaded, bo_loaded = _open(ada, page), _open(bo, page)
    assert ada_loaded == bo_loaded  # both start from the same revision
    before = Revision.page_revisions.filter(object_id=str(page.pk)).count()

    first = _save(ada, page, ada_loaded, "Ada's dek.")
    assert first.status_code == 200
    assert not [m for m in _messages(first) if m[0] == "warning"], _messages(first)

    second = _save(bo, page, bo_loaded, "Bo's dek.", **second_action)
    assert second.status_code == 200
    warnings = [text for level, text in _messages(second) if level == "warning"]
    assert len(warnings) == 1, _messages(second)
    assert "Ada" in warnings[0] and "both versions are kept" in warnings[0]

    revisions = Revision.page_revisions.filter(object_id=str(page.pk)).order_by("pk")
    assert revisions.count() == before + 2
    deks = [r.content["dek"] for r in revisions][-2:]
    assert deks == ["Ada's dek.", "Bo's dek."]


def test_saving_twice_from_the_same_form_is_not_a_conflict():
    page = f.article()
    ada = _editor("ada")
    loaded = _open(ada, page)
    first = _save(ada, page, loaded, "First.")
    assert not [m for m in _messages(first) if m[0] == "warning"]
    again = _save(ada, page, _open(ada, page), "Second.")
    assert not [m for m in _messages(again) if m[0] == "warning"], _messages(again)


def test_an_editor_who_overwrites_their_own_older_revision_is_warned_too():
    # Saving from a stale tab after saving in another one also drops newer text.
    page = f.article()
    ada = _editor("ada")
    old_tab = _open(ada, page)
    _save(ada, page, _open(ada, page), "From the new tab.")
    response = _save(ada, page, old_tab, "From the old tab.")
    warnings = [text for level, text in _messages(response) if level == "warning"]
    assert len(warnings) == 1 and "you" in warnings[0].lower(), _messages(response)
