"""Every URL the project routes, with sample arguments, asked by one role at a time.

`routes()` walks Django's resolver (nothing is listed by hand, so a new admin screen joins the
sweep by existing); `World` builds one of everything those URLs name (pages, revisions, a
workflow in progress, snippets, images, documents, users, subscribers, round-ups, an outbox
message); `ask()` makes one request inside a transaction it rolls back, so a POST that is let
through changes nothing for the next one; `outcome()` sorts a response into what the
expectation table speaks of.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch
from django.utils import timezone
from wagtail.admin.models import EditingSession
from wagtail.documents.models import Document
from wagtail.models import (
    Collection,
    Page,
    PageViewRestriction,
    Site,
    Task,
    UploadedFile,
    Workflow,
)

from masthead.core.models import MagazineSettings
from masthead.core.outbox import OutboxBackend
from masthead.editorial.models import ArticleIndexPage
from masthead.newsletter.models import Issue, IssueItem, Subscriber
from tests import factories as f
from tests import roles

# --- what a response means to the table

OK = "ok"  # answered: a page, a redirect elsewhere, a form error, 404 for a missing object...
LOGIN = "login"  # anonymous sent to the admin login
DENIED = "denied"  # 403, or Wagtail's redirect to the dashboard with "Sorry, you do not..."
SLASH = "slash"  # 301 to the same address with a slash: CommonMiddleware, before any view
ERROR = "error"  # a 5xx or an exception: never acceptable


@dataclass(frozen=True)
class Route:
    name: str  # namespace:name
    kwargs: tuple[str, ...]
    variant: str = ""  # which sample page a page screen is asked about ("" = the Europe story)

    @property
    def key(self) -> str:
        """What the expectation table matches: the name, and "@variant" for other pages."""
        return f"{self.name}@{self.variant}" if self.variant else self.name

    @property
    def signature(self) -> str:
        """The name with its arguments, for names shared by several patterns."""
        return f"{self.name}({','.join(self.kwargs)})"

    def matches(self, pattern: str) -> bool:
        return fnmatch.fnmatchcase(self.key, pattern) or fnmatch.fnmatchcase(self.signature,
                                                                             pattern)


PAGE_ARGUMENTS = {"page_id", "pk", "page_to_move_id"}
# The page screens are also asked about an Africa story (not the Europe desk's) and about the
# contributor's own draft.
PAGE_VARIANTS = ("africa", "own")


def routes() -> list[Route]:
    """Every named URL pattern, once per distinct set of arguments."""
    found: dict[tuple[str, tuple[str, ...]], Route] = {}

    def walk(patterns, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = ":".join(x for x in (namespace, p.namespace) if x)
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                kwargs = tuple(sorted(getattr(p.pattern, "converters", {}) or
                                      p.pattern.regex.groupindex))
                name = f"{namespace}:{p.name}" if namespace else p.name
                found.setdefault((name, kwargs), Route(name, kwargs))

    walk(get_resolver().url_patterns, "")
    result = list(found.values())
    for route in list(result):
        if route.name.startswith("wagtailadmin_pages:") and PAGE_ARGUMENTS & set(route.kwargs) \
                and "workflow" not in route.name:
            result += [Route(route.name, route.kwargs, v) for v in PAGE_VARIANTS]
    return result


@dataclass
class World:
    """One of everything the URLs name. Pages in the Europe section belong to the Europe desk."""

    values: dict[str, object] = field(default_factory=dict)  # by argument name
    pks: dict[str, int] = field(default_factory=dict)  # `pk` by URL namespace
    special: dict[tuple[str, str], object] = field(default_factory=dict)  # by (URL, argument)
    fixed: dict[str, str] = field(default_factory=dict)  # URLs with positional arguments
    variants: dict[str, tuple[int, int]] = field(default_factory=dict)  # (revision, page) ids
    users: dict[str, User | None] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    # Set by the matrix's module fixture, once for the five sweeps:
    clients: dict[str, object] = field(default_factory=dict)  # a signed-in test client per role
    plan: list[tuple] = field(default_factory=list)  # (route, sample URL, the table's rule)
    before: dict = field(default_factory=dict)  # the database every sweep must leave as it was

    @classmethod
    def build(cls, users: dict[str, User | None]) -> World:
        w = cls()
        editor, contributor = users[roles.EDITOR], users[roles.CONTRIBUTOR]
        europe = _story("Europe story", section_slug="europe", owner=editor)
        europe.title = "Europe story, draft"
        europe.save_revision(user=editor)
        africa = _story("Africa story", section_slug="africa", owner=editor, tags=["Budget"])
        own_draft = _story("Contributor's draft", publish=False, owner=contributor)
        in_review = _story("In review", publish=False, owner=contributor)
        workflow = Workflow.objects.get(name="Editorial review")
        state = workflow.start(in_review, contributor)
        task_state = state.current_task_state
        brief = f.brief("A brief")
        image = europe.top_image
        document = Document.objects.create(title="Report")
        document.file.save("report.txt", ContentFile(b"A report."))
        subscriber = Subscriber.objects.create(email="reader@example.org", name="A Reader",
                                               status="confirmed")
        now = timezone.now()
        issue = Issue.objects.create(subject="Round-up", period_start=now - timedelta(days=7),
                                     period_end=now)
        IssueItem.objects.create(issue=issue, brief=brief, sort_order=0)
        outbox_name = _outbox_message()
        site = Site.objects.get()
        other_user = User.objects.create_user("someone", "someone@example.org", "pw")
        restriction = PageViewRestriction.objects.create(
            page=_story("Members only", section_slug="europe"), restriction_type="password",
            password="secret")
        session = EditingSession.objects.create(
            user=editor, content_type=europe.content_type, object_id=str(europe.pk),
            last_seen_at=now)
        upload = UploadedFile.objects.create(uploaded_by_user=editor,
                                             file=ContentFile(b"x", name="up.txt"))
        index = ArticleIndexPage.objects.get()
        w.values = {
            "parent_page_id": index.pk, "page_id": europe.pk, "page_to_move_id": europe.pk,
            "destination_id": index.pk, "page_pk": index.get_parent().pk,
            "revision_id": europe.latest_revision_id, "revision_id_a": "earliest",
            "revision_id_b": "latest", "workflow_state_id": state.pk,
            "task_state_id": task_state.pk, "task_id": task_state.task_id,
            "workflow_pk": workflow.pk, "action_name": "approve",
            "content_type_app_name": "editorial", "content_type_model_name": "articlepage",
            "app_label": "editorial", "model_name": "articlepage", "app_name": "core",
            "action": "publish", "collection_id": Collection.get_first_root_node().pk,
            "object_id": str(europe.pk), "session_id": session.pk,
            "redirect_id": _redirect().pk, "document_id": document.pk, "doc_id": document.pk,
            "image_id": image.pk, "uploaded_file_id": upload.pk, "filter_spec": "fill-80x80",
            "name": outbox_name, "uidb64": "MQ", "token": "set-password",
            "user_id": other_user.pk, "restriction_id": 1,
            "page_view_restriction_id": restriction.pk,
            "slug": "europe", "number": "1", "fmt": "rss", "scope": "section",
            "path": "missing.jpg",
        }
        w.pks = {
            "wagtailadmin_api:pages": europe.pk, "wagtailadmin_api:documents": document.pk,
            "wagtailadmin_api:images": image.pk, "wagtailadmin_pages": europe.pk,
            "wagtailadmin_collections": Collection.get_first_root_node().pk,
            "wagtailadmin_workflows": workflow.pk, "wagtailsettings": MagazineSettings.load().pk,
            "wagtailsnippets_editorial_author": europe.authors.first().author_id,
            "wagtailsnippets_editorial_section": f.section("europe").pk,
            "wagtailsnippets_editorial_kind": f.kind().pk,
            "wagtailsnippets_briefs_brief": brief.pk,
            "newsletter_subscribers": subscriber.pk, "newsletter_issues": issue.pk,
            "wagtailsites": site.pk, "wagtailusers_users": other_user.pk,
            "wagtailusers_groups": Group.objects.get(name="Editors").pk,
            "wagtailsnippetchoosers_editorial_author": europe.authors.first().author_id,
            "wagtailsnippetchoosers_editorial_section": f.section("europe").pk,
            "wagtailsnippetchoosers_editorial_kind": f.kind().pk,
            "wagtailsnippetchoosers_briefs_brief": brief.pk,
            "wagtaildocs_chooser": document.pk, "wagtailimages_chooser": image.pk,
        }
        w.variants = {"africa": (africa.latest_revision_id, africa.pk),
                      "own": (own_draft.latest_revision_id, own_draft.pk)}
        w.fixed = {
            "wagtaildocs_serve": document.url,
            "wagtail_serve": "/no-such-page/",
            "newsletter:anymail:mailgun_inbound_webhook":
                "/newsletter/webhooks/anymail/mailgun/inbound/",
        }
        w.special = {
            # Several names share one pattern; these arguments make the sample meaningful.
            ("wagtailadmin_workflows:edit_task", "pk"): Task.objects.first().pk,
            ("wagtailadmin_workflows:disable_task", "pk"): Task.objects.first().pk,
            ("wagtailadmin_workflows:enable_task", "pk"): Task.objects.first().pk,
            ("wagtailsettings:edit", "app_name"): "core",
            ("wagtailsettings:edit", "model_name"): "magazinesettings",
            ("wagtailsettings:preview_on_edit", "app_name"): "core",
            ("wagtailsettings:preview_on_edit", "model_name"): "magazinesettings",
            ("wagtail_bulk_action", "app_label"): "wagtailcore",
            ("wagtail_bulk_action", "model_name"): "page",
            ("wagtailadmin_tag_model_autocomplete", "app_name"): "editorial",
            ("wagtailadmin_tag_model_autocomplete", "model_name"): "articlepage",
            ("wagtailadmin_workflows:add_task", "app_label"): "wagtailcore",
            ("wagtailadmin_workflows:add_task", "model_name"): "groupapprovaltask",
            ("wagtailadmin_pages:choose_parent", "app_label"): "editorial",
            ("wagtailadmin_pages:choose_parent", "model_name"): "articlepage",
            ("wagtailadmin_editing_sessions:ping", "app_label"): "wagtailcore",
            ("wagtailadmin_editing_sessions:ping", "model_name"): "page",
            ("wagtailadmin_pages:collect_workflow_action_data", "action_name"): "approve",
            # The workflow screens are about the article in review.
            ("wagtailadmin_pages:workflow_action", "page_id"): in_review.pk,
            ("wagtailadmin_pages:collect_workflow_action_data", "page_id"): in_review.pk,
            ("wagtailadmin_pages:confirm_workflow_cancellation", "page_id"): in_review.pk,
            ("wagtailadmin_pages:workflow_preview", "page_id"): in_review.pk,
            ("wagtailadmin_pages:workflow_history_detail", "page_id"): in_review.pk,
            ("article", "slug"): europe.slug,
            ("kind", "slug"): "analysis",
            ("tag", "slug"): "budget",
            ("author", "slug"): europe.authors.first().author.slug,
        }
        return w

    def url(self, route: Route) -> str | None:
        if route.name in self.fixed:
            return self.fixed[route.name]
        kwargs = {}
        for name in route.kwargs:
            namespace = route.name.rsplit(":", 1)[0]
            if route.variant and name in (*PAGE_ARGUMENTS, "revision_id"):
                kwargs[name] = self.variants[route.variant][name != "revision_id"]
            elif (route.name, name) in self.special:
                kwargs[name] = self.special[(route.name, name)]
            elif name == "pk" and namespace in self.pks:
                kwargs[name] = self.pks[namespace]
            elif name in self.values:
                kwargs[name] = self.values[name]
            else:
                return None
        try:
            return reverse(route.name, kwargs=kwargs)
        except NoReverseMatch:
            return None


# Top images just wide enough for one rendition width (masthead/core/images.py skips wider
# ones). Every preview, chooser and image screen makes its renditions again in each rolled-back
# request, and WebP renditions of a full-size photo at four widths made previews the slowest
# requests of the sweep; what a role may see does not depend on the picture's size.
SAMPLE_IMAGE_SIZE = (320, 180)


def _story(headline: str, **fields):
    return f.article(headline, top_image=f.image(f"{headline} (picture)",
                                                 size=SAMPLE_IMAGE_SIZE), **fields)


def _redirect():
    from wagtail.contrib.redirects.models import Redirect

    return Redirect.objects.create(old_path="/old-story", redirect_link="/articles/")


def _outbox_message() -> str:
    from django.core.mail import EmailMessage

    from masthead.core import outbox

    OutboxBackend().send_messages([EmailMessage("Confirm", "Body", to=["reader@example.org"])])
    shown, _ = outbox.entries(limit=1)
    return shown[0].name


def ask(client, method: str, url: str, *, rollback: bool = True):
    """One request, rolled back unless `rollback` is False, with the client's cookies as they were
    (a POST to log out or to change the password would otherwise sign the role out); an exception
    is returned, not raised."""
    cookies = client.cookies
    client.cookies = type(cookies)(cookies)
    try:
        with transaction.atomic():
            response = client.generic(method, url, data=b"" if method == "POST" else "",
                                      content_type="application/x-www-form-urlencoded")
            transaction.set_rollback(rollback)
        return response
    except Exception as exc:  # noqa: BLE001 - the sweep records it as an error
        return exc
    finally:
        client.cookies = cookies


def outcome(response, url: str) -> str:
    if isinstance(response, Exception):
        return ERROR
    status = response.status_code
    location = response.get("Location", "")
    if status >= 500:
        return ERROR
    if status == 403:
        return DENIED
    if status == 301 and location == url + "/":
        return SLASH
    if status in (301, 302, 303):
        if location.startswith("/admin/login/"):
            return LOGIN
        if location == "/admin/":
            return DENIED
    return OK


def page_states() -> list[tuple]:
    """What a denied request must not have changed: pages, their drafts and their lock."""
    return list(Page.objects.order_by("pk").values_list(
        "pk", "live", "title", "draft_title", "latest_revision_id", "locked", "path"))
