"""Newsletter → Outbox: read the mail a one-machine install wrote to its local outbox.

Only shown while the outbox backend is the mail transport (the default, `EMAIL_URL=outbox://`),
and only to users with a subscriber permission: confirmation emails carry readers' addresses
and working links. The HTML part is shown in a sandboxed frame with scripts disabled.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.views.generic import TemplateView, View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.base import ViewSet

from masthead.core import outbox
from masthead.newsletter.admin_subscribers import NEWSLETTER_MENU_HOOK
from masthead.newsletter.models import Subscriber

NAMESPACE = "newsletter_outbox"
ANY = ["add", "change", "delete", "view"]
SHOWN = 200


class OutboxView(PermissionCheckedMixin, WagtailAdminTemplateMixin, View):
    model = Subscriber
    any_permission_required = ANY
    header_icon = "mail"

    def dispatch(self, request, *args, **kwargs):
        if not outbox.is_active():
            raise Http404("Mail is not going to the local outbox")
        return super().dispatch(request, *args, **kwargs)


class OutboxIndexView(OutboxView, TemplateView):
    template_name = "newsletter/admin/outbox_index.html"
    page_title = "Outbox"

    def get_context_data(self, **kwargs):
        shown, total = outbox.entries(limit=SHOWN)
        return {**super().get_context_data(**kwargs), "messages_shown": shown,
                "total": total, "folder": str(outbox.outbox_dir())}


class OutboxMessageView(OutboxView, TemplateView):
    template_name = "newsletter/admin/outbox_message.html"

    def get(self, request, *args, name: str, **kwargs):
        self.message = outbox.read(name)
        if self.message is None:
            raise Http404("No such message")
        self.name = name
        return super().get(request, *args, **kwargs)

    def get_page_title(self):
        return str(self.message.get("Subject", "(no subject)"))

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(f"{NAMESPACE}:index"), "label": "Outbox"},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        text = self.message.get_body(("plain",))
        html = self.message.get_body(("html",))
        headers = [(k, str(v)) for k, v in self.message.items()
                   if k.lower() in ("from", "to", "subject", "date", "message-id", "list-id",
                                    "list-unsubscribe", "list-unsubscribe-post")]
        return {**super().get_context_data(**kwargs), "name": self.name, "headers": headers,
                "text": text.get_content() if text else "",
                "html": html.get_content() if html else ""}


class OutboxRawView(OutboxView):
    """The message as a downloadable .eml file, to open in a mail program."""

    def get(self, request, name: str):
        if outbox.read(name) is None:
            raise Http404("No such message")
        data = (outbox.outbox_dir() / name).read_bytes()
        response = HttpResponse(data, content_type="message/rfc822")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


class OutboxViewSet(ViewSet):
    name = NAMESPACE
    url_prefix = "newsletter/outbox"
    icon = "mail"
    menu_label = "Outbox"
    menu_order = 300
    add_to_admin_menu = True
    menu_hook = NEWSLETTER_MENU_HOOK

    def get_urlpatterns(self):
        return [
            path("", OutboxIndexView.as_view(), name="index"),
            path("<str:name>/", OutboxMessageView.as_view(), name="message"),
            path("<str:name>/raw/", OutboxRawView.as_view(), name="raw"),
        ]

    def get_menu_item(self, order=None):
        item = super().get_menu_item(order)
        item.is_shown = lambda request: outbox.is_active() and any(
            request.user.has_perm(f"newsletter.{action}_subscriber") for action in ANY)
        return item
