"""`masthead demo`: load The Meridian Review and print the demo logins."""

from django.conf import settings
from django.core.management.base import BaseCommand
from tqdm import tqdm

from masthead.core import outbox
from masthead.demo.loader import load


class Command(BaseCommand):
    help = "Load the demo magazine (idempotent) and print the admin, editor and contributor logins."

    def handle(self, *args, **options):
        result = load(progress=lambda items: tqdm(items, desc="Demo articles", unit="article"))
        self.stdout.write(
            f"Demo magazine ready: {result['articles']} new articles, {result['briefs']} new briefs."
        )
        self.stdout.write(f"Sign in at {settings.SITE_URL}/admin/ with:")
        for login in result["logins"]:
            self.stdout.write(f"  {login.role:<12} {login.username:<12} {login.password}")
        if outbox.is_active():
            self.stdout.write(
                f"Email is not sent: every message (newsletter confirmations, round-ups) is "
                f"written to {outbox.outbox_dir()}/ as an .eml file; read it in the admin under "
                f"Newsletter → Outbox ({settings.SITE_URL}/admin/newsletter/outbox/)."
            )
