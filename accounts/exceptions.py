"""Typed errors of the accounts app; `config.api.exception_handler` renders them."""

from config.exceptions import ApplicationError, NotFound


class UserNotFound(NotFound):
    code = "user_not_found"
    default_message = "No such user."


class AffiliationUnknown(ApplicationError):
    code = "affiliation_unknown"
    status_code = 400
    default_message = "No provider has this slug."

    def __init__(self, slug: str) -> None:
        message = f"No provider has the slug {slug!r}."
        super().__init__(message, field="affiliation")


class PasswordIncorrect(ApplicationError):
    code = "password_incorrect"
    status_code = 400
    default_message = "The password is not correct."

    def __init__(self) -> None:
        super().__init__(field="password")


class ReauthenticationRequired(ApplicationError):
    code = "reauthentication_required"
    status_code = 403
    default_message = (
        "Confirm it is you: send your password, or re-authenticate through "
        "/_allauth/{client}/v1/auth/reauthenticate first."
    )


class EmailNotVerified(ApplicationError):
    """The one error for an account without a verified primary address, whichever app
    refuses it (a review, a vote, a moderator grant)."""

    code = "email_not_verified"
    status_code = 403
    default_message = "Verify your email address first."


class DisplayNameNotAllowed(ApplicationError):
    """A display name that is invisible, reorders text, or passes for someone else."""

    code = "validation_error"
    status_code = 400
    default_message = "This display name is not allowed."

    def __init__(self, message: str) -> None:
        super().__init__(message, field="display_name")


class ModerationNotAllowed(ApplicationError):
    """Moderation of reviews, replies and provider profiles (every app raises this one)."""

    code = "moderation_not_allowed"
    status_code = 403
    default_message = "Only moderators may do this."
