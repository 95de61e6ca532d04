"""`manage.py provider_member openai alice@example.org [--role manager] [--revoke]`."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.selectors import user_get_by_email
from config.exceptions import ApplicationError
from models_catalog.memberships import membership_grant, membership_revoke
from models_catalog.models import MembershipRole
from models_catalog.selectors import provider_get


class Command(BaseCommand):
    help = "Make the account with this email address a member (or manager) of a provider."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("provider", help="Provider slug, e.g. openai.")
        parser.add_argument("email", help="Primary email address of the account.")
        parser.add_argument("--role", choices=MembershipRole.values, default=MembershipRole.MEMBER)
        parser.add_argument("--revoke", action="store_true", help="End the membership instead.")

    def handle(
        self, *args: object, provider: str, email: str, role: str, revoke: bool, **options: object
    ) -> None:
        try:
            target = provider_get(slug=provider)
            user = user_get_by_email(email)
            if revoke:
                done = membership_revoke(provider=target, user=user)
                self.stdout.write(f"{email}: {'revoked' if done else 'was not a member'}.")
                return
            membership_grant(provider=target, user=user, role=role)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"{email} is now {role} of {target.slug}."))
