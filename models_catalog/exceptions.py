"""Typed errors of the catalog, rendered by `config.api.exception_handler`; clients match `code`."""

from config.exceptions import ApplicationError, Conflict, NotFound


class ProviderNotFound(NotFound):
    code = "provider_not_found"
    default_message = "No provider has this slug."


class ModelNotFound(NotFound):
    code = "model_not_found"
    default_message = "No model, alias or variant has this slug."


class PriceUnavailable(NotFound):
    """The model has no fixed price for the offering (e.g. a router that bills per request)."""

    code = "price_unavailable"
    default_message = "No price is recorded for this model."


class RouteUnavailable(NotFound):
    """The cost calculator names a route the model is not served through."""

    code = "route_unavailable"
    default_message = "The model is not served through this route."


class UnknownMeasure(ApplicationError):
    """A chart or comparison names a measure that no model has."""

    code = "unknown_measure"
    status_code = 400
    default_message = "No model has this measure."


class MembershipInvalid(ApplicationError):
    code = "membership_invalid"
    status_code = 400
    default_message = "This membership cannot be granted."


class NotProviderManager(ApplicationError):
    code = "not_provider_manager"
    status_code = 403
    default_message = "Only a manager of this provider may do this."


class ProfileEditNotFound(NotFound):
    code = "profile_edit_not_found"
    default_message = "No such provider profile edit."


class ProfileEditNotPending(Conflict):
    code = "profile_edit_not_pending"
    default_message = "Only a profile edit waiting for moderation can be accepted or rejected."


class CannotModerateOwnProfileEdit(ApplicationError):
    code = "cannot_moderate_own_profile_edit"
    status_code = 403
    default_message = "Moderators never decide on their own proposals; another moderator will."


class ProfileInvalid(ApplicationError):
    code = "profile_invalid"
    status_code = 400
    default_message = "The profile change is not valid."
