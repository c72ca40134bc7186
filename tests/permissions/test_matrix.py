"""Every admin, API and reader URL, asked by every role, against an explicit expectation table.

Roles (tests/roles.py): anonymous, contributor (own drafts only), section editor (the Europe
desk), editor, administrator. Each URL is asked with GET, with GET without its trailing slash,
and with an empty POST. The sample page of the page screens is a live Europe story with a newer
draft (the desk's); `@africa` is another desk's story and `@own` the contributor's own draft.

What the table promises:
- a role in the GET or POST set gets an answer (a page, a form with errors, a redirect that is
  not to the login or the dashboard, 404 for a sample that does not apply, 405);
- a role outside it is turned away: anonymous to the login page, anyone else with 403 or
  Wagtail's redirect to the dashboard ("Sorry, you do not have permission"); 400, 404 and 405
  (refused before any work) also count as turned away for a role outside the set;
- without its trailing slash every address is only a 301 to the slashed one (asked as anonymous
  and as administrator: the redirect comes before any view);
- nothing answers 500 but the few Wagtail screens listed in WAGTAIL_ERRORS;
- a turned-away POST changes nothing (its request is not rolled back: the database is compared
  before and after the whole sweep). An allowed POST is rolled back, and asked only by the least
  privileged role allowed (the others would run the same code).
"""

from __future__ import annotations

import copy

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.test import override_settings

from masthead.newsletter.models import Issue, Subscriber
from tests import roles
from tests.permissions import sweep

pytestmark = pytest.mark.django_db

A, C, S, E, X = roles.ROLES
PUBLIC = frozenset(roles.ROLES)
SIGNED_OUT = frozenset({A})  # the login page: signed-in users are sent to the dashboard
STAFF = frozenset({C, S, E, X})  # anyone with admin access
DESK = frozenset({S, E, X})  # the Europe desk and everyone above it
EDITORS = frozenset({E, X})
ADMIN = frozenset({X})
NOBODY = frozenset()
CLOSED = "closed"  # answers 404 to everyone (provider webhooks without ANYMAIL_WEBHOOK_SECRET)
SAME = None  # POST expected as GET

# (pattern over "name" or "name@variant", GET roles, POST roles or SAME, why). First match wins.
TABLE: list[tuple[str, frozenset | str, frozenset | str | None, str]] = [
    # --- reader side, sign-in, assets
    ("healthz", PUBLIC, SAME, ""),
    ("wagtailadmin_login", SIGNED_OUT, PUBLIC, "signed-in users go to the dashboard"),
    ("wagtailadmin_password_reset*", PUBLIC, SAME, ""),
    ("wagtailadmin_sprite", PUBLIC, SAME, "icons"),
    ("wagtailadmin_javascript_catalog", PUBLIC, SAME, "translations of admin scripts"),
    ("wagtaildocs_serve", PUBLIC, SAME, "documents linked from articles"),
    ("wagtaildocs_authenticate_with_password", PUBLIC, SAME, ""),
    ("wagtailcore_*", PUBLIC, SAME, "password form of a private page"),
    ("wagtail_serve", PUBLIC, SAME, ""),
    ("home", PUBLIC, SAME, ""), ("archive", PUBLIC, SAME, ""), ("article", PUBLIC, SAME, ""),
    ("section", PUBLIC, SAME, ""), ("kind", PUBLIC, SAME, ""), ("tag", PUBLIC, SAME, ""),
    ("author", PUBLIC, SAME, ""), ("briefs", PUBLIC, SAME, ""), ("search", PUBLIC, SAME, ""),
    ("feed*", PUBLIC, SAME, ""), ("robots", PUBLIC, SAME, ""), ("sitemap-*", PUBLIC, SAME, ""),
    ("share-mastodon", PUBLIC, SAME, ""),
    ("csp-report", PUBLIC, SAME, "browsers report refused content without signing in"),
    ("newsletter:anymail:*", CLOSED, CLOSED, "off until ANYMAIL_WEBHOOK_SECRET is set"),
    ("newsletter:*", PUBLIC, SAME, "sign-up, confirm, unsubscribe"),
    # --- the admin: everyone with admin access
    ("wagtailadmin_home", STAFF, SAME, ""),
    ("wagtailadmin_account", STAFF, SAME, "one's own account"),
    ("wagtailadmin_logout", STAFF, SAME, ""),
    ("wagtailadmin_dismissibles", STAFF, SAME, ""),
    ("security_2fa_reset", ADMIN, SAME, "an administrator resets someone's authenticator app"),
    ("security_2fa_*", STAFF, SAME, "two-factor set-up and code (masthead/security)"),
    ("wagtailadmin_editing_sessions:*", STAFF, SAME, "404 on a page the user cannot edit"),
    ("wagtailadmin_block_preview", STAFF, SAME, ""),
    ("wagtailadmin_error_test", STAFF, SAME, "Wagtail's deliberate error page"),
    ("wagtailadmin_api:*", STAFF, SAME, "the admin's own API: titles and tree, no drafts' text"),
    ("wagtailadmin_explore*", STAFF, SAME, ""),
    ("wagtail_bulk_action", STAFF, SAME, "each page is checked (tests/permissions/test_roles)"),
    ("wagtailadmin_choose_*", STAFF, SAME, "choosers in the editor"),
    ("wagtailadmin_tag_*", STAFF, SAME, ""),
    ("wagtailembeds:*", STAFF, SAME, ""),
    ("wagtailadmin_pages:add", STAFF, SAME, "add an article under Articles"),
    ("wagtailadmin_pages:preview_on_add", STAFF, SAME, ""),
    ("wagtailadmin_pages:add_subpage", STAFF, SAME, ""),
    ("wagtailadmin_pages:choose_parent", STAFF, SAME, ""),
    ("wagtailadmin_pages:type_use*", STAFF, SAME, ""),
    ("wagtailadmin_pages:search*", STAFF, SAME, ""),
    ("wagtailadmin_pages:revisions_index*", STAFF, SAME, "a redirect to the history"),
    ("wagtailadmin_pages:convert_alias*", STAFF, SAME, "404: no sample page is an alias"),
    ("wagtailadmin_pages:move_confirm@own", STAFF, SAME, "own draft: the contributor may move it"),
    ("wagtailadmin_pages:move_confirm*", STAFF, "by page", "Wagtail asks first, checks on POST"),
    ("wagtailadmin_reports:locked_pages*", DESK, SAME, "needs a lock permission"),
    ("wagtailadmin_reports:*", STAFF, SAME, "lists only what the user may see"),
    ("wagtailforms:delete_submissions", NOBODY, SAME, "no sample page is a form page"),
    ("wagtailforms:*", STAFF, SAME, "no form pages: empty list, 404"),
    ("wagtailadmin_workflows:task_chooser_create", STAFF, ADMIN, "creating a task: admin only"),
    ("wagtailadmin_workflows:task_chooser*", STAFF, SAME, "task names"),
    ("wagtailadmin_workflows:task_chosen", STAFF, SAME, ""),
    # --- the review workflow (the contributor's article in review)
    ("wagtailadmin_pages:workflow_action", EDITORS, SAME, "approvers: Editors, Moderators"),
    ("wagtailadmin_pages:collect_workflow_action_data", EDITORS, SAME, ""),
    ("wagtailadmin_pages:workflow_preview", EDITORS, SAME, ""),
    ("wagtailadmin_pages:confirm_workflow_cancellation", STAFF, SAME, "the submitter may cancel"),
    ("wagtailadmin_pages:workflow_history_detail", STAFF, SAME, "the submitter's own page"),
    # --- the page screens, by page
    ("wagtailadmin_pages:set_page_position*", EDITORS, SAME, "reordering is publishing"),
    ("wagtailadmin_pages:*@africa", EDITORS, SAME, "another desk's story"),
    ("wagtailadmin_pages:unpublish@own", NOBODY, SAME, "a draft is not live"),
    ("wagtailadmin_pages:set_privacy@own", DESK, SAME, "needs publish permission"),
    ("wagtailadmin_pages:revisions_unschedule@own", DESK, SAME, "needs publish permission"),
    ("wagtailadmin_pages:lock@own", DESK, SAME, "contributors cannot lock"),
    ("wagtailadmin_pages:unlock@own", DESK, SAME, ""),
    ("wagtailadmin_pages:*@own", STAFF, SAME, "the contributor's own draft"),
    ("wagtailadmin_pages:*", DESK, SAME, "a Europe story: the desk's, not the contributor's"),
    # --- images and documents (per collection)
    ("wagtailimages:index*", STAFF, SAME, "contributors upload images"),
    ("wagtailimages:add*", STAFF, SAME, ""),
    ("wagtailimages:url_generator*", STAFF, SAME, "404: front-end URL generator is off"),
    ("wagtailimages:*multiple*upload*", STAFF, SAME, "404: no pending upload"),
    ("wagtailimages:delete", EDITORS, NOBODY, "in use as a top image: Wagtail refuses to delete"),
    ("wagtailimages:*", EDITORS, SAME, "someone else's image"),
    ("wagtailimages_chooser:*", STAFF, SAME, ""),
    ("wagtaildocs_chooser:create", EDITORS, SAME, ""),
    ("wagtaildocs_chooser:*", STAFF, SAME, "document links in rich text"),
    ("wagtaildocs:*upload*", STAFF, SAME, "404: no pending upload"),
    ("wagtaildocs:*", EDITORS, SAME, ""),
    # --- snippets: briefs are written by contributors, the rest is the editors'
    ("wagtailsnippets:index", NOBODY, SAME, "every snippet has its own menu: to the dashboard"),
    ("wagtailsnippets_briefs_brief:delete", EDITORS, SAME, ""),
    ("wagtailsnippets_briefs_brief:unpublish", EDITORS, SAME, ""),
    ("wagtailsnippets_briefs_brief:*lock", ADMIN, SAME, "nobody is given lock_brief"),
    ("wagtailsnippets_briefs_brief:*", STAFF, SAME, ""),
    ("wagtailsnippetchoosers_briefs_brief:*", STAFF, SAME, ""),
    ("wagtailsnippets_editorial_*:list*", STAFF, SAME, "view permission: bylines, labels"),
    ("wagtailsnippets_editorial_*:delete", EDITORS, NOBODY, "in use by articles: refused"),
    ("wagtailsnippets_editorial_*", EDITORS, SAME, "CVE-2024-32882: edit needs change"),
    ("wagtailsnippetchoosers_editorial_*:create", EDITORS, SAME, ""),
    ("wagtailsnippetchoosers_editorial_*", STAFF, SAME, ""),
    ("wagtailsettings:edit(app_name,model_name)", STAFF, SAME, "a redirect to the settings' id"),
    ("wagtailsettings:*", EDITORS, SAME, "CVE-2024-35228: magazine settings are the editors'"),
    # --- the newsletter: subscriber data and sending are the editors'
    ("newsletter_subscribers:import", ADMIN, SAME, "needs add_subscriber: administrators"),
    ("newsletter_subscribers:*", EDITORS, SAME, ""),
    ("newsletter_issues:*", EDITORS, SAME, ""),
    ("newsletter_outbox:*", EDITORS, SAME, "readers' addresses and working links"),
    # --- administration
    ("wagtailadmin_collections:*", ADMIN, SAME, ""),
    ("wagtailadmin_workflows:*", ADMIN, SAME, ""),
    ("wagtailredirects:*", ADMIN, SAME, ""),
    ("wagtailsites:*", ADMIN, SAME, ""),
    ("wagtailusers_*", ADMIN, SAME, ""),
]

# move_confirm's POST by page (the GET is Wagtail's question, shown to any admin user).
# A desk cannot move a live story: moving a live page needs publish permission on the
# destination (Articles), which a desk does not have there (masthead/editorial/permissions.py).
MOVE_POST = {"wagtailadmin_pages:move_confirm": EDITORS,
             "wagtailadmin_pages:move_confirm@africa": EDITORS}

# Screens allowed to answer 500. Wagtail 8.0.1 answers several hand-made empty POSTs with an
# exception (page forms without `body-count`, the external-link chooser without its URL, snippet
# chooser "create" without a form, the redirects import without its file, deleting an image in
# use); masthead/security/admin_guards.py answers those with a clear 400 or a message.
WAGTAIL_ERRORS = {
    "wagtailadmin_error_test": "raises on purpose (Wagtail's 500-page check)",
}

TURNED_AWAY_STATUSES = (400, 404, 405)
# Whether a page screen answers depends on the page only for the roles limited by page;
# editors and administrators may act on every page (the Europe sample shows it).
VARIANT_ROLES = {A, C, S}
# CommonMiddleware answers an address without its slash before any view or permission check;
# asking as the least and the most privileged role shows no view answers it for anyone.
SLASH_ROLES = {A, X}


def rule(route: sweep.Route):
    for pattern, get_roles, post_roles, _ in TABLE:
        if route.matches(pattern):
            return pattern, get_roles, get_roles if post_roles is SAME else post_roles
    return None


def first_allowed(allowed) -> str:
    """The least privileged role in `allowed`."""
    return min(allowed, key=roles.ROLES.index)


def expected_post(route: sweep.Route, post_roles):
    return MOVE_POST[route.key] if post_roles == "by page" else post_roles


def known_error(route: sweep.Route) -> bool:
    return any(route.matches(p) or sweep.Route(route.name, ()).matches(p)
               for p in WAGTAIL_ERRORS)


def judge(role: str, route: sweep.Route, method: str, url: str, response, allowed) -> str | None:
    """Why this answer breaks the table, or None."""
    got = sweep.outcome(response, url)
    status = getattr(response, "status_code", type(response).__name__)
    if got == sweep.ERROR:
        if known_error(route) and allowed != CLOSED and role in allowed:
            return None
        return f"{method} {url} as {role}: {status} ({response!r:.200})"
    if allowed == CLOSED:
        return None if status == 404 else f"{method} {url} as {role}: {status}, expected 404"
    if role in allowed:
        if got in (sweep.LOGIN, sweep.DENIED):
            return f"{method} {url} as {role}: turned away ({status}), table allows"
        return None
    if got in (sweep.LOGIN, sweep.DENIED) or status in TURNED_AWAY_STATUSES:
        if role == A and url.startswith("/admin/") and got != sweep.LOGIN:
            return f"{method} {url} as anonymous: {status}, expected the login page"
        return None
    return f"{method} {url} as {role}: answered {status}, table denies"


def snapshot() -> dict:
    """Row counts of every table (sessions aside) and the states a POST could change."""
    counts = {m._meta.label: m._default_manager.count() for m in apps.get_models()
              if m is not Session}
    return {"counts": counts, "pages": sweep.page_states(),
            "subscribers": list(Subscriber.objects.values_list("pk", "status")),
            "issues": list(Issue.objects.values_list("pk", "status", "test_sent_at"))}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """One world for the five sweeps, built once and rolled back after the module (as Django's
    setUpTestData does); each sweep runs in its own savepoint inside it. Built once with it: the
    roles' signed-in clients, every route's sample URL and rule (`plan`), and the database as
    every sweep must leave it (`before`)."""
    base = tmp_path_factory.mktemp("matrix")
    outbox = {"EMAIL_BACKEND": "masthead.core.outbox.OutboxBackend",
              "EMAIL_FILE_PATH": str(base / "outbox"), "MEDIA_ROOT": str(base / "media")}
    # Django templates without debug mode here: a broken template still fails (a 500 is never
    # accepted), and the admin's templates render about a tenth faster over ~1,400 requests.
    templates = copy.deepcopy(django_settings.TEMPLATES)
    templates[1]["OPTIONS"]["debug"] = False
    with override_settings(**outbox, TEMPLATES=templates), django_db_blocker.unblock(), \
            transaction.atomic():
        users = {r: roles.user_for(r) for r in roles.ROLES}
        built = sweep.World.build(users)
        built.users, built.settings = users, outbox
        # Signing in writes (a session, the last login, django-axes' access log): done before
        # `before` is taken, so the comparison after each sweep sees only what its requests did.
        built.clients = {r: roles.client_for(r, users[r]) for r in roles.ROLES}
        built.plan = [(route, built.url(route), rule(route)) for route in sweep.routes()]
        built.before = snapshot()
        yield built
        transaction.set_rollback(True)


def test_every_route_is_in_the_table_and_every_rule_is_used():
    used, missing = set(), []
    for route in sweep.routes():
        found = rule(route)
        if found is None:
            missing.append(route.key)
        else:
            used.add(found[0])
    assert not missing, f"routes the table does not classify: {missing}"
    unused = sorted({p for p, *_ in TABLE} - used)
    assert not unused, f"rules that match no route: {unused}"


@pytest.mark.parametrize("role", roles.ROLES)
def test_every_url_answers_each_role_as_the_table_says(role, world, settings):
    for name, value in world.settings.items():
        setattr(settings, name, value)
    client = world.clients[role]
    problems = []
    for route, url, found in world.plan:
        if route.variant and role not in VARIANT_ROLES:
            continue
        assert url is not None, f"no sample arguments for {route}"
        assert found is not None, f"{route.key} is not in the table"
        _, get_roles, post_roles = found
        post_roles = expected_post(route, post_roles)
        problems.append(judge(role, route, "GET", url,
                              sweep.ask(client, "GET", url, rollback=role in get_roles), get_roles))
        if url.endswith("/") and url != "/" and role in SLASH_ROLES:
            bare = url.rstrip("/")
            response = sweep.ask(client, "GET", bare)
            if sweep.outcome(response, bare) != sweep.SLASH:
                problems.append(f"GET {bare} as {role}: {response.status_code}, expected a 301 "
                                "to the address with its slash")
        if route.name == "wagtailadmin_logout":
            continue  # signs the role out: tests/advisories cover logging out
        if post_roles != CLOSED and role in post_roles and role != first_allowed(post_roles):
            continue  # an allowed POST runs the same code for every allowed role: asked once
        problems.append(judge(role, route, "POST", url,
                              sweep.ask(client, "POST", url, rollback=post_roles == CLOSED or
                                        role in post_roles), post_roles))
    problems = [p for p in problems if p]
    assert not problems, f"{len(problems)} answers break the table:\n" + "\n".join(problems)
    assert snapshot() == world.before, "a turned-away request changed the database"
