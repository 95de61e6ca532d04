"""Receivers at the edge of third-party code: each calls one service and nothing else."""

from typing import Any

from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed

from models_catalog.memberships import membership_from_verified_email


def _email_confirmed(sender: Any, email_address: EmailAddress, **kwargs: Any) -> None:
    # The domain rule: a verified address at a provider's registered domain.
    membership_from_verified_email(email_address_id=email_address.pk)


def connect() -> None:
    email_confirmed.connect(_email_confirmed, dispatch_uid="models_catalog.domain_membership")
