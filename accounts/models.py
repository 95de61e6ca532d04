from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower

# Roles. A moderator is a member of this group, which holds MODERATE_PERMISSION (created by
# migration 0002); an admin is staff. Code checks the permission, never the group name.
MODERATOR_GROUP = "moderator"
MODERATE_PERMISSION = "accounts.moderate_reviews"


class Role(models.TextChoices):
    MODERATOR = "moderator", "Moderator"
    ADMIN = "admin", "Admin"


class User(AbstractUser):
    """The account. Custom from the first migration so fields can be added later.

    Email is the login (allauth); it is unique regardless of case so that
    `Alice@x.org` and `alice@x.org` cannot be two accounts. An erased account keeps its row
    (reviews and the moderation audit trail point at it) with every personal field blanked.
    """

    email = models.EmailField("email address", blank=True)
    display_name = models.CharField(max_length=80, blank=True)
    bio = models.CharField(max_length=1000, blank=True)
    # A provider slug (models_catalog.Provider.slug), not a foreign key: accounts sits below
    # models_catalog in the import order, so the service checks that the provider exists.
    affiliation = models.SlugField(max_length=64, blank=True)
    affiliation_public = models.BooleanField(default=False)
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        permissions = [("moderate_reviews", "Can moderate reviews")]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                condition=~models.Q(email=""),
            ),
        ]

    def __str__(self) -> str:
        if self.erased_at is not None:
            return "deleted account"
        return self.display_name or self.username
