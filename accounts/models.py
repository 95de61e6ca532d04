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
        indexes = [
            # Accounts created around the same time (the ring signal of reviews.integrity)
            # and accounts that joined recently (its surge check's new-account count): a
            # short range of this index, not a scan of every account.
            models.Index(fields=["date_joined"], name="accounts_user_joined_idx"),
        ]

    def __str__(self) -> str:
        if self.erased_at is not None:
            return "deleted account"
        return self.display_name or self.username


# "<count>/<period>" as DRF parses it (the period's first letter counts): s, m, h, d.
API_KEY_RATE_PATTERN = r"^[1-9][0-9]{0,8}/(s|sec|second|m|min|minute|h|hour|d|day)$"
API_KEY_PREFIX = "amk_"


class ApiKey(models.Model):
    """A key for a server-side frontend or a partner (`X-Api-Key`), with its own rate limit
    instead of the per-address one (config.throttles). Only the SHA-256 of the key is kept:
    the key is shown once, when staff create it in the admin. Its first characters
    (`prefix`) let people tell keys apart in the admin and in support."""

    name = models.CharField(
        max_length=80, unique=True, help_text="Who uses it; printed in the request log."
    )
    prefix = models.CharField(max_length=16, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    rate = models.CharField(
        max_length=24,
        default="6000/min",
        help_text="Requests per period for this key, e.g. 6000/min, 100/s, 100000/day.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API key"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rate__regex=API_KEY_RATE_PATTERN),
                name="accounts_apikey_rate_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(digest__regex=r"^[0-9a-f]{64}$"),
                name="accounts_apikey_digest_sha256",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
