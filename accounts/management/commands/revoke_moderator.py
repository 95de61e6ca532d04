from accounts import services
from accounts.management.roles import RoleCommand
from accounts.models import User


class Command(RoleCommand):
    help = "Take the moderator role from the account with this email address."
    role, grants = "a moderator", False

    def change(self, user: User) -> bool:
        return services.moderator_revoke(user=user)
