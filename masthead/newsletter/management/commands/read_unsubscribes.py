"""`masthead read-unsubscribes`: process unsubscribe requests that arrived by email."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from masthead.newsletter.services import inbound


class Command(BaseCommand):
    help = ("Unsubscribe readers who mailed the List-Unsubscribe address: reads a Maildir "
            "(default NEWSLETTER_UNSUBSCRIBE_MAILDIR) or an mbox file.")

    def add_arguments(self, parser):
        parser.add_argument("--maildir", default=settings.NEWSLETTER_UNSUBSCRIBE_MAILDIR)
        parser.add_argument("--mbox", help="an mbox file to read (left unchanged)")

    def handle(self, *args, maildir, mbox, **options):
        if mbox:
            report = inbound.read_mbox(mbox)
        elif maildir:
            report = inbound.read_maildir(maildir)
        else:
            raise CommandError("Give --maildir or --mbox, or set NEWSLETTER_UNSUBSCRIBE_MAILDIR.")
        self.stdout.write(f"{report.read} messages read, {report.unsubscribed} unsubscribed, "
                          f"{report.kept} without a valid token kept for a person to read.")
