"""Typed errors of the reviews app; `config.api.exception_handler` renders them.

Clients and tests match `code`; `message` is for people and may change.
"""

import uuid

from accounts.exceptions import ModerationNotAllowed as ModerationNotAllowed
from config.exceptions import ApplicationError, Conflict, NotFound


class ReviewNotFound(NotFound):
    code = "review_not_found"
    default_message = "No such review."


class ReviewAlreadyExists(Conflict):
    """The body names the active review (`existing_review`, its id) so a client can open it."""

    code = "review_exists"
    default_message = (
        "You already have a review of this model: edit it, or withdraw it and write a new one."
    )

    def __init__(self, existing_review: uuid.UUID) -> None:
        super().__init__(extra={"existing_review": str(existing_review)})


class ModelVersionUnknown(ApplicationError):
    code = "model_version_unknown"
    status_code = 400

    def __init__(self, version: str, known: list[str]) -> None:
        message = f"{version!r} is not a known version of this model; use one of {known}."
        super().__init__(message, field="model_version")


class InputInvalid(ApplicationError):
    """A rule about a field that the service checks again, for interfaces without a
    serializer (admin, shell). Same code and body shape as a serializer's 400."""

    code = "validation_error"
    status_code = 400

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)


class NotReviewAuthor(ApplicationError):
    code = "not_review_author"
    status_code = 403
    default_message = "Only the author may change or withdraw this review."


class InvalidTransition(Conflict):
    code = "invalid_transition"
    default_message = "The review is not in a state that allows this action."


class RevisionChanged(Conflict):
    code = "revision_changed"
    default_message = (
        "The author changed the text since you read it; reload the queue and decide on the "
        "new revision."
    )


class CannotModerateOwnReview(ApplicationError):
    code = "cannot_moderate_own_review"
    status_code = 403
    default_message = "Moderators never moderate their own reviews; another moderator will."


class ReviewNotPublished(Conflict):
    code = "review_not_published"
    default_message = "Only published reviews can be voted on or reported."


class CannotVoteOwnReview(ApplicationError):
    code = "cannot_vote_own_review"
    status_code = 403
    default_message = "You cannot vote on your own review."


class CannotReportOwnReview(ApplicationError):
    code = "cannot_report_own_review"
    status_code = 403
    default_message = "You cannot report your own review; edit or withdraw it instead."


class ReportAlreadyExists(Conflict):
    code = "report_exists"
    default_message = "You have already reported this review."


class SurgeNotFound(NotFound):
    code = "surge_not_found"
    default_message = "No such surge."


class ReportNotFound(NotFound):
    code = "report_not_found"
    default_message = "You have no report of this review."


class ReportNotOpen(Conflict):
    code = "report_not_open"
    default_message = "A moderator already decided on this report; it can no longer be withdrawn."


class ReplyNotFound(NotFound):
    code = "reply_not_found"
    default_message = "This review has no reply you may see."


class ReplyAlreadyExists(Conflict):
    code = "reply_exists"
    default_message = "The provider has already replied to this review: edit that reply instead."


class NotProviderMember(ApplicationError):
    code = "not_provider_member"
    status_code = 403
    default_message = "Only verified members of the model's provider may reply to its reviews."


class NotReplyAuthor(ApplicationError):
    code = "not_reply_author"
    status_code = 403
    default_message = "Only the reply's author or a manager of the provider may change it."


class CannotModerateOwnReply(ApplicationError):
    code = "cannot_moderate_own_reply"
    status_code = 403
    default_message = "Moderators never moderate their own replies; another moderator will."


class ReplyNotPending(Conflict):
    code = "reply_not_pending"
    default_message = "Only a reply waiting for moderation can be published or rejected."
