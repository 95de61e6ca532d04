from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"

    def ready(self) -> None:
        from reviews import registrations
        from reviews.api import rating_cache  # noqa: F401 (refreshes cached ratings on store)

        registrations.catalog_register()
        registrations.personal_data_register()
