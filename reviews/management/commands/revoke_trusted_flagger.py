from accounts.management.roles import RoleCommand
from accounts.models import User
from reviews.integrity import standing


class Command(RoleCommand):
    help = (
        "Revoke the trusted-flagger role (urgent reports hide a review at once) from the "
        "account with this email address."
    )
    role, grants = "a trusted flagger", False

    def change(self, user: User) -> bool:
        return standing.trusted_flagger_revoke(user=user)
