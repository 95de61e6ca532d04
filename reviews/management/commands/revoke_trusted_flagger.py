from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import selectors
from config.exceptions import ApplicationError
from reviews.integrity import standing


class Command(BaseCommand):
    help = "Revoke the trusted-flagger role (urgent reports hide a review at once) from an account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="Primary email address of the account.")

    def handle(self, *args: object, email: str, **options: object) -> None:
        try:
            user = selectors.user_get_by_email(email)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        changed = standing.trusted_flagger_revoke(user=user)
        state = "no longer"
        suffix = "" if changed else " (no change)"
        self.stdout.write(f"{email} ({user.username}) is {state} a trusted flagger{suffix}.")
