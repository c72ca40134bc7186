"""Remove a user's authenticator app (a lost phone); they set up a new one at next sign-in."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from masthead.security.two_factor import devices_reset


class Command(BaseCommand):
    help = "Reset a user's two-factor authentication: they enrol a new authenticator app."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {username!r}.") from exc
        removed = devices_reset(user=user)
        self.stdout.write(f"Removed {removed} device(s) for {username}; they set up a new one "
                          "at their next sign-in.")
