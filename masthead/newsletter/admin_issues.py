"""Editors' screens for round-up issues: Newsletter → Round-ups in the Wagtail admin.

A list of issues; "Draft a round-up" (what the worker does every sending day); editing the
subject, preheader, introduction and the ordered stories (article and brief choosers); and one
"Preview and send" screen: the email in HTML and plain text, a test to the editor's own
address, scheduling, sending now, and a progress panel (numbers rendered on the server, refreshed
by static/masthead/admin/issue-progress.js from a JSON URL) with pause, resume and cancel.

Only users with the issue permissions see any of it (Editors and Moderators; never
Contributors); everything that sends or changes an issue needs change_issue.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.decorators import method_decorator
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.generic import TemplateView, View
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, PageChooserPanel
from wagtail.admin.views.generic import EditView, IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton
from wagtail.log_actions import log

from masthead.newsletter import selectors_issues as selectors
from masthead.newsletter import sending
from masthead.newsletter.admin_subscribers import NEWSLETTER_MENU_HOOK
from masthead.newsletter.models import Issue, Subscriber
from masthead.newsletter.services import issues as service

NAMESPACE = "newsletter_issues"
ANY = ["add", "change", "view"]
LIVE = (Issue.Status.SENDING, Issue.Status.PAUSED)


def _url(view_name: str, *args) -> str:
    return reverse(f"{NAMESPACE}:{view_name}", args=args)


class IssueIndexView(IndexView):
    def get_edit_url(self, instance):
        if instance.status in service.EDITABLE:
            return _url("edit", instance.pk)
        return _url("send", instance.pk)


class IssueEditView(EditView):
    """Editing is for drafts and scheduled issues; once sending starts the content is fixed."""

    def dispatch(self, request, *args, **kwargs):
        issue = get_object_or_404(Issue, pk=kwargs.get("pk"))
        if issue.status not in service.EDITABLE:
            messages.info(request, f"“{issue}” is {issue.get_status_display().lower()}: "
                                   "its content can no longer change.")
            return redirect(_url("send", issue.pk))
        return super().dispatch(request, *args, **kwargs)

    def get_success_url(self):
        return _url("send", self.object.pk)

    @property
    def header_buttons(self):
        return [HeaderButton("Preview and send", url=_url("send", self.object.pk),
                             icon_name="mail")]


class IssueView(PermissionCheckedMixin, WagtailAdminTemplateMixin, View):
    """Base for the extra screens: the issue permissions, breadcrumbs back to the list."""

    model = Issue
    any_permission_required = ANY
    header_icon = "mail"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": _url("index"), "label": "Round-ups"},
            {"url": "", "label": self.get_page_title()},
        ]


class IssueDraftView(IssueView, TemplateView):
    """GET explains what a draft will contain; POST drafts it and opens the editor."""

    template_name = "newsletter/admin/issue_draft.html"
    page_title = "Draft a round-up"
    any_permission_required = None
    permission_required = "add"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        return super().get_context_data(period_start=service.period_start(now), now=now,
                                         **kwargs)

    def post(self, request):
        issue = service.issue_draft(now=timezone.now())
        messages.success(request, f"Drafted “{issue}” with {issue.items.count()} stories.")
        return redirect(_url("edit", issue.pk))


class IssueSendView(IssueView, TemplateView):
    template_name = "newsletter/admin/issue_send.html"
    page_title = "Preview and send"

    def get(self, request, *args, pk: int, **kwargs):
        self.issue = get_object_or_404(Issue, pk=pk)
        return super().get(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.issue)

    def get_context_data(self, **kwargs):
        issue = self.issue
        context = super().get_context_data(**kwargs)
        started = issue.status not in service.EDITABLE
        context.update(
            issue=issue,
            can_change=self.user_has_permission("change"),
            editable=not started,
            progress=selectors.issue_progress(issue) if started else None,
            polling=issue.status in LIVE,
            confirmed=Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED).count(),
            action_url=_url("action", issue.pk),
            progress_url=_url("progress", issue.pk),
            preview_url=_url("preview", issue.pk),
            preview_text_url=_url("preview", issue.pk) + "?format=text",
            edit_url=_url("edit", issue.pk),
            user_email=self.request.user.email,
            now_local=timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            time_zone=settings.TIME_ZONE,
        )
        return context


@method_decorator(xframe_options_sameorigin, name="dispatch")
class IssuePreviewView(IssueView):
    """The email as the signed-in editor would receive it: HTML, or ?format=text."""

    def get(self, request, pk: int):
        issue = get_object_or_404(Issue, pk=pk)
        roundup = sending.render_issue(issue)
        name = request.user.get_full_name() or request.user.get_username()
        values = {"greeting": sending.greeting(name), "email": request.user.email or "you",
                  "unsubscribe_url": "#unsubscribe-link-in-the-real-email"}
        text, html = roundup.bodies(sending.Recipient(subscriber_id=0, email=""), values)
        if request.GET.get("format") == "text":
            return HttpResponse(text, content_type="text/plain; charset=utf-8")
        return HttpResponse(html)


class IssueProgressView(IssueView):
    """The progress panel's numbers as JSON, polled while an issue sends."""

    def get(self, request, pk: int):
        issue = get_object_or_404(Issue, pk=pk)
        response = JsonResponse(selectors.issue_progress(issue).as_json())
        response["Cache-Control"] = "no-store"
        return response


class IssueActionView(IssueView):
    """Every button on the send screen: POST action=test|schedule|unschedule|send|pause|..."""

    any_permission_required = None
    permission_required = "change"
    http_method_names = ["post"]

    def post(self, request, pk: int):
        issue = get_object_or_404(Issue, pk=pk)
        handler = getattr(self, f"do_{request.POST.get('action', '')}", None)
        if handler is None:
            raise Http404("Unknown action")
        if handler(request, issue):
            # The issue's history (Wagtail's log) shows who tested, scheduled, sent, paused...
            log(instance=issue, action=f"newsletter.{request.POST['action']}", user=request.user,
                data={"scheduled_for": request.POST.get("when", "")} if
                request.POST["action"] == "schedule" else None)
        return redirect(_url("send", issue.pk))

    def do_test(self, request, issue):
        user = request.user
        if not user.email:
            messages.error(request, "Your account has no email address: add one under Account.")
            return False
        try:
            service.issue_send_test(issue_id=issue.pk, email=user.email,
                                    name=user.get_full_name())
        except sending.SendFailed as failure:
            messages.error(request, f"The test was not sent: {failure.reason}")
            return False
        messages.success(request, f"A test was sent to {user.email}.")
        return True

    def do_schedule(self, request, issue):
        when = parse_datetime(request.POST.get("when", ""))
        if when is None:
            messages.error(request, "Choose a date and time to send.")
            return False
        if timezone.is_naive(when):
            when = timezone.make_aware(when)
        if when <= timezone.now():
            messages.error(request, "Choose a time in the future, or send now.")
            return False
        return self._run(request, lambda: service.issue_schedule(issue_id=issue.pk, when=when),
                  f"Scheduled for {timezone.localtime(when):%-d %B %Y %H:%M}.")

    def do_unschedule(self, request, issue):
        return self._run(request, lambda: service.issue_unschedule(issue_id=issue.pk),
                  "No longer scheduled: the issue is a draft again.")

    def do_send(self, request, issue):
        if service.issue_start_sending(issue_id=issue.pk):
            messages.success(request, "Sending has started.")
            return True
        messages.error(request, "This issue has already been sent or is sending.")
        return False

    def do_pause(self, request, issue):
        return self._flag(request, service.issue_pause(issue_id=issue.pk), "Paused.")

    def do_resume(self, request, issue):
        return self._flag(request, service.issue_resume(issue_id=issue.pk), "Sending again.")

    def do_cancel(self, request, issue):
        return self._flag(request, service.issue_cancel(issue_id=issue.pk),
                   "Cancelled: nothing more will be sent.")

    def _run(self, request, action, success: str):
        try:
            action()
        except service.IssueStateError as exc:
            messages.error(request, str(exc))
            return False
        messages.success(request, success)
        return True

    def _flag(self, request, changed: bool, success: str):
        if changed:
            messages.success(request, success)
        else:
            messages.error(request, "The issue changed meanwhile; nothing was done.")
        return changed


class IssueViewSet(ModelViewSet):
    model = Issue
    name = NAMESPACE
    url_prefix = "newsletter/round-ups"
    icon = "mail"
    menu_label = "Round-ups"
    menu_order = 50
    menu_hook = NEWSLETTER_MENU_HOOK
    index_view_class = IssueIndexView
    edit_view_class = IssueEditView
    list_display = ["subject", "status", "period_end", "scheduled_for", "recipients"]
    list_filter = ["status"]
    search_fields = ["subject"]
    ordering = "-period_end"
    list_per_page = 30
    add_to_reference_index = False
    copy_view_enabled = False
    panels = [
        MultiFieldPanel([FieldPanel("subject"), FieldPanel("preheader"),
                         FieldPanel("introduction")], heading="Email"),
        InlinePanel("items", label="Story", heading="Stories, in the order sent", panels=[
            PageChooserPanel("article", "editorial.ArticlePage"),
            FieldPanel("brief"),
        ]),
    ]

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("new/", IssueDraftView.as_view(), name="add"),
            path("edit/<int:pk>/", self.edit_view, name="edit"),
            path("history/<int:pk>/", self.history_view, name="history"),
            path("history-results/<int:pk>/", self.history_results_view,
                 name="history_results"),
            path("send/<int:pk>/", IssueSendView.as_view(), name="send"),
            path("preview/<int:pk>/", IssuePreviewView.as_view(), name="preview"),
            path("progress/<int:pk>/", IssueProgressView.as_view(), name="progress"),
            path("action/<int:pk>/", IssueActionView.as_view(), name="action"),
        ]

    def get_common_view_kwargs(self, **kwargs):
        # No delete, copy or usage screens: an issue and its deliveries are the send's record.
        return super().get_common_view_kwargs(
            delete_url_name=None, usage_url_name=None, copy_url_name=None, **kwargs)


def register() -> None:
    """Called from wagtail_hooks.py: Newsletter → Round-ups."""
    hooks.register("register_admin_viewset", IssueViewSet)

