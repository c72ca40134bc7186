"""Editors' screens for subscribers: Newsletter → Subscribers in the Wagtail admin.

A listing with search, a status filter, counts by status and CSV/XLSX export; a CSV import; each
subscriber's consent history; a chart of confirmed subscribers per week. Subscribers are never
added, edited or deleted here: they sign up (or are imported with a recorded consent source).
Only users with the subscriber permissions (view_subscriber, add_subscriber...) see any of it.

The "Newsletter" menu collects its items through the NEWSLETTER_MENU_HOOK hook: another
newsletter screen joins the menu by setting `menu_hook = NEWSLETTER_MENU_HOOK` on its viewset.
"""

from __future__ import annotations

import csv
from datetime import datetime

from django.contrib import messages
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.views.generic import FormView, TemplateView, View
from wagtail import hooks
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.views.generic import IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.views.mixins import Echo
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton

from masthead.core.clientip import client_ip
from masthead.newsletter import selectors_subscribers as selectors
from masthead.newsletter.forms import SubscriberImportForm
from masthead.newsletter.models import Subscriber
from masthead.newsletter.services.subscribers import subscriber_unsubscribe, subscribers_import

NEWSLETTER_MENU_HOOK = "register_newsletter_menu_item"
ANY = ["add", "change", "delete", "view"]
NAMESPACE = "newsletter_subscribers"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _url(view_name: str, *args) -> str:
    return reverse(f"{NAMESPACE}:{view_name}", args=args)


def spreadsheet_safe(value) -> str:
    """Readers type names and addresses: never let a spreadsheet run one as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SubscriberIndexView(IndexView):
    template_name = "newsletter/admin/subscriber_index.html"
    custom_field_preprocess = {
        f: {"csv": spreadsheet_safe} for f in ("email", "name", "source")
    }

    custom_value_preprocess = {
        **IndexView.custom_value_preprocess,
        datetime: {**IndexView.custom_value_preprocess[datetime],
                   "csv": lambda value: value.isoformat(timespec="seconds")},
    }

    def stream_csv(self, queryset):
        """Every matching row, streamed in chunks rather than loaded into memory at once."""
        writer = csv.DictWriter(Echo(), fieldnames=self.list_export)
        yield writer.writerow({f: self.get_heading(queryset, f) for f in self.list_export})
        for item in queryset.iterator(chunk_size=2000):
            yield self.write_csv_row(writer, self.to_row_dict(item))

    def get_edit_url(self, instance):
        return _url("history", instance.pk)

    def get_list_more_buttons(self, instance):
        return [MenuItem("Consent history", url=_url("history", instance.pk),
                         icon_name="history", priority=10)]

    @cached_property
    def header_buttons(self):
        buttons = [HeaderButton("Growth", url=_url("growth"), icon_name="doc-full")]
        if self.user_has_permission("add"):
            buttons.insert(0, HeaderButton("Import CSV", url=_url("import"), icon_name="upload"))
        return buttons

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        index = _url("index")
        context["status_counts"] = [
            {"status": s, "label": label, "count": n, "url": f"{index}?status={s}"}
            for s, label, n in selectors.status_counts()
        ]
        return context


class SubscriberView(PermissionCheckedMixin, WagtailAdminTemplateMixin, View):
    """Base for the extra screens: the subscriber permissions, breadcrumbs back to the list."""

    model = Subscriber
    any_permission_required = ANY
    header_icon = "mail"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": _url("index"), "label": "Subscribers"},
            {"url": "", "label": self.get_page_title()},
        ]


class SubscriberHistoryView(SubscriberView, TemplateView):
    template_name = "newsletter/admin/subscriber_history.html"
    page_title = "Consent history"
    header_icon = "history"

    def get(self, request, *args, pk: int, **kwargs):
        self.subscriber = get_object_or_404(Subscriber, pk=pk)
        return super().get(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.subscriber.email

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        can_unsubscribe = self.user_has_permission("change") and self.subscriber.status in (
            Subscriber.Status.PENDING, Subscriber.Status.CONFIRMED
        )
        context.update(subscriber=self.subscriber,
                       events=selectors.consent_history(self.subscriber.pk),
                       unsubscribe_url=_url("unsubscribe", self.subscriber.pk)
                       if can_unsubscribe else "")
        return context


class SubscriberUnsubscribeView(SubscriberView):
    """An editor unsubscribes someone who asked by other means (a reply, a phone call)."""

    any_permission_required = None
    permission_required = "change"
    http_method_names = ["post"]

    def post(self, request, pk: int):
        subscriber = get_object_or_404(Subscriber, pk=pk)
        changed = subscriber_unsubscribe(
            subscriber_id=subscriber.pk, source=f"admin:{request.user.get_username()}",
            ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""),
            wording="Unsubscribed by an editor on the subscriber's request",
        )
        if changed:
            messages.success(request, f"{subscriber.email} is unsubscribed.")
        return redirect(_url("history", pk))


class SubscriberImportView(SubscriberView, FormView):
    template_name = "newsletter/admin/subscriber_import.html"
    form_class = SubscriberImportForm
    page_title = "Import subscribers"
    header_icon = "upload"
    any_permission_required = None
    permission_required = "add"

    def form_valid(self, form):
        try:
            report = subscribers_import(rows=form.cleaned_data["file"],
                                        source=form.cleaned_data["consent_source"],
                                        user=self.request.user)
        except IntegrityError:
            form.add_error(None, "Someone signed up with one of these addresses during the "
                                 "import, so nothing was imported. Please import the file again.")
            return self.form_invalid(form)
        return self.render_to_response(self.get_context_data(form=form, report=report))


CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM, CHART_LEFT = 760, 260, 20, 40, 48


def chart_bars(weeks: list[selectors.Week]) -> dict:
    """Geometry of a bar chart of weekly totals, in SVG user units (drawn by the template)."""
    peak = max([w.total for w in weeks] + [1])
    plot = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    step = (CHART_WIDTH - CHART_LEFT) / max(len(weeks), 1)
    bars = []
    for i, week in enumerate(weeks):
        height = round(plot * max(week.total, 0) / peak, 1)
        bars.append({"week": week, "x": round(CHART_LEFT + i * step + step * 0.15, 1),
                     "width": round(step * 0.7, 1), "height": height,
                     "y": round(CHART_TOP + plot - height, 1),
                     "label_x": round(CHART_LEFT + i * step + step / 2, 1),
                     "show_label": i % 4 == 0 or i == len(weeks) - 1})
    return {"bars": bars, "peak": peak, "width": CHART_WIDTH, "height": CHART_HEIGHT,
            "left": CHART_LEFT, "top": CHART_TOP, "base_y": CHART_TOP + plot,
            "label_y": CHART_TOP + plot + 18}


class SubscriberGrowthView(SubscriberView, TemplateView):
    template_name = "newsletter/admin/subscriber_growth.html"
    page_title = "Confirmed subscribers per week"
    header_icon = "doc-full"

    def get_context_data(self, **kwargs):
        weeks = selectors.confirmed_by_week(weeks=26)
        return super().get_context_data(chart=chart_bars(weeks), weeks=weeks, **kwargs)


class SubscriberViewSet(ModelViewSet):
    model = Subscriber
    name = NAMESPACE
    url_prefix = "newsletter/subscribers"
    icon = "mail"
    menu_label = "Subscribers"
    menu_order = 100
    index_view_class = SubscriberIndexView
    list_display = ["email", "name", "status", "source", "created_at", "confirmed_at"]
    list_filter = ["status"]
    search_fields = ["email", "name"]
    list_export = ["email", "name", "status", "source", "created_at", "confirmed_at",
                   "unsubscribed_at"]
    export_filename = "subscribers"
    ordering = "-created_at"
    list_per_page = 50
    add_to_reference_index = False
    copy_view_enabled = False

    def get_common_view_kwargs(self, **kwargs):
        # No add, edit, copy or delete screens: history stands in for "edit".
        return super().get_common_view_kwargs(
            add_url_name=None, edit_url_name=None, delete_url_name=None, usage_url_name=None,
            copy_url_name=None, history_url_name=self.get_url_name("history"), **kwargs
        )

    @property
    def url_finder_class(self):
        finder = super().url_finder_class
        finder.edit_url_name = self.get_url_name("history")
        return finder

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("history/<int:pk>/", SubscriberHistoryView.as_view(), name="history"),
            path("unsubscribe/<int:pk>/", SubscriberUnsubscribeView.as_view(),
                 name="unsubscribe"),
            path("import/", SubscriberImportView.as_view(), name="import"),
            path("growth/", SubscriberGrowthView.as_view(), name="growth"),
        ]


class NewsletterMenu(ViewSetGroup):
    menu_label = "Newsletter"
    menu_name = "newsletter"
    menu_icon = "mail"
    menu_order = 300
    items = (SubscriberViewSet,)
    submenu_hook = NEWSLETTER_MENU_HOOK


def register() -> None:
    """Called from wagtail_hooks.py: the Newsletter menu and the subscriber screens."""
    hooks.register("register_admin_viewset", NewsletterMenu)
