"""The shape of every role command (`grant_moderator`, `revoke_trusted_flagger`, ...): find the
account by its email address, grant or revoke one role through its service, say what changed.
A command says which role, which way, and which service call; the rest is here."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import selectors
from accounts.models import User
from config.exceptions import ApplicationError


class RoleCommand(BaseCommand):
    role = ""  # as in a sentence: "a moderator"
    grants = True  # False: the command revokes the role

    def change(self, user: User) -> bool:
        """Grant or revoke the role (one service call); whether anything changed. May raise
        an ApplicationError (e.g. an unverified address), shown as the command's error."""
        raise NotImplementedError

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="Primary email address of the account.")

    def handle(self, *args: object, email: str, **options: object) -> None:
        try:
            user = selectors.user_get_by_email(email)
            changed = self.change(user)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        who = f"{email} ({user.username})"
        if changed:
            state = "now" if self.grants else "no longer"
            self.stdout.write(self.style.SUCCESS(f"{who} is {state} {self.role}."))
        elif self.grants:
            self.stdout.write(f"{who} was {self.role} already; no change.")
        else:
            self.stdout.write(f"{who} was not {self.role}; nothing changed.")
