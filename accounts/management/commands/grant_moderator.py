from accounts import services
from accounts.management.roles import RoleCommand
from accounts.models import User


class Command(RoleCommand):
    help = "Give the moderator role to the account with this email address."
    role, grants = "a moderator", True

    def change(self, user: User) -> bool:
        return services.moderator_grant(user=user)
