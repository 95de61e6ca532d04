from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import selectors, services
from config.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Take the moderator role from the account with this email address."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="Primary email address of the account.")

    def handle(self, *args: object, email: str, **options: object) -> None:
        try:
            user = selectors.user_get_by_email(email)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if services.moderator_revoke(user=user):
            self.stdout.write(
                self.style.SUCCESS(f"{email} ({user.username}) is no longer a moderator.")
            )
        else:
            self.stdout.write(f"{email} ({user.username}) was not a moderator; nothing changed.")
