from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from vom.users.selectors import authenticator_for, next_totp_code


class Command(BaseCommand):
    help = (
        "Print the current two-factor code of a user's authenticator app, for the demo and development "
        "(refused when DEBUG is off)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        if not settings.DEBUG:
            # In production a code must come from the user's own phone, or two-factor proves nothing.
            raise CommandError("totp_code is for the demo and development only; it refuses to run with DEBUG off.")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        device = authenticator_for(user)
        if device is None:
            raise CommandError(f"{username} has no authenticator app set up; they set one up at their next sign-in.")
        code, wait = next_totp_code(device)
        if wait:
            self.stdout.write(f"{code}  (usable in {wait} seconds: the current code was already used)")
        else:
            self.stdout.write(code)
