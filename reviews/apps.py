from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"

    def ready(self) -> None:
        from events.registry import consumer_register
        from reviews import receivers  # noqa: F401 (connects the account_erased receiver)
        from reviews.services.workflow import OUTCOME_EVENT_TYPES

        consumer_register(
            "review_outcome_mail",
            OUTCOME_EVENT_TYPES,
            "reviews.services.notifications.review_outcome_mail",
        )
