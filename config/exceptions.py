"""The one error type that services raise; `config.api.exception_handler` renders it."""

from typing import Any


class ApplicationError(Exception):
    """A rule of the domain was broken. Subclasses fix `code` and `status_code`.

    `code` is stable (clients and tests match on it); `message` is for people.
    """

    code = "application_error"
    status_code = 400
    default_message = "The request could not be completed."

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ):
        """`field` names the input the error is about: the body then carries
        `{"fields": {field: [message]}}`, the same shape as a serializer's 400."""
        self.message = message or self.default_message
        self.extra = extra or {}
        if field is not None:
            self.extra["fields"] = {field: [self.message]}
        super().__init__(self.message)


class NotFound(ApplicationError):
    code = "not_found"
    status_code = 404
    default_message = "Not found."


class Conflict(ApplicationError):
    code = "conflict"
    status_code = 409
    default_message = "The request conflicts with the current state."
