"""Typed errors of the accounts app; `config.api.exception_handler` renders them."""

from typing import Any

from config.exceptions import ApplicationError, NotFound


def _fields(name: str, message: str) -> dict[str, Any]:
    return {"fields": {name: [message]}}


class UserNotFound(NotFound):
    code = "user_not_found"
    default_message = "No such user."


class AffiliationUnknown(ApplicationError):
    code = "affiliation_unknown"
    status_code = 400
    default_message = "No provider has this slug."

    def __init__(self, slug: str) -> None:
        message = f"No provider has the slug {slug!r}."
        super().__init__(message, extra=_fields("affiliation", message))


class PasswordIncorrect(ApplicationError):
    code = "password_incorrect"
    status_code = 400
    default_message = "The password is not correct."

    def __init__(self) -> None:
        super().__init__(extra=_fields("password", self.default_message))


class ReauthenticationRequired(ApplicationError):
    code = "reauthentication_required"
    status_code = 403
    default_message = (
        "Confirm it is you: send your password, or re-authenticate through "
        "/_allauth/{client}/v1/auth/reauthenticate first."
    )


class EmailNotVerified(ApplicationError):
    code = "email_not_verified"
    status_code = 400
    default_message = "The account has no verified primary email address."
