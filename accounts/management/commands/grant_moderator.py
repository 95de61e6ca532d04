from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import selectors, services
from config.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Give the moderator role to the account with this email address."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="Primary email address of the account.")

    def handle(self, *args: object, email: str, **options: object) -> None:
        try:
            user = selectors.user_get_by_email(email)
            granted = services.moderator_grant(user=user)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if granted:
            self.stdout.write(self.style.SUCCESS(f"{email} ({user.username}) is now a moderator."))
        else:
            self.stdout.write(f"{email} ({user.username}) was a moderator already; no change.")
