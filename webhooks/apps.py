from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"

    def ready(self) -> None:
        from events.registry import consumer_register
        from webhooks.payloads import SOURCE_TYPES
        from webhooks.services import DISABLED_EVENT

        # Dotted paths: handlers load where deliveries run.
        # With no active subscription, events are recorded without a webhooks delivery.
        consumer_register(
            "webhooks",
            SOURCE_TYPES,
            "webhooks.services.webhook_fanout",
            wants="webhooks.services.subscriptions_exist",
        )
        consumer_register(
            "webhook_disabled_mail",
            [DISABLED_EVENT],
            "webhooks.notifications.webhook_disabled_mail",
        )
