from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """The account. Custom from the first migration so fields can be added later.

    Email is the login (allauth); it is unique regardless of case so that
    `Alice@x.org` and `alice@x.org` cannot be two accounts.
    """

    email = models.EmailField("email address", blank=True)
    display_name = models.CharField(max_length=80, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                condition=~models.Q(email=""),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username
