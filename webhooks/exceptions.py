"""Typed errors of the webhooks app; `config.api.exception_handler` renders them."""

from config.exceptions import ApplicationError, Conflict, NotFound


class WebhookUrlRefused(ApplicationError):
    code = "webhook_url_refused"
    default_message = "This endpoint URL may not be called."


class WebhookSubscriptionNotFound(NotFound):
    code = "webhook_subscription_not_found"
    default_message = "No such webhook subscription."


class WebhookDeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"
    default_message = "No such webhook delivery."


class WebhookSubscriptionDisabled(Conflict):
    code = "webhook_subscription_disabled"
    default_message = "The subscription is disabled: enable it first."
