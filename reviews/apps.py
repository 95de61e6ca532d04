from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"

    def ready(self) -> None:
        from reviews import registrations

        registrations.catalog_register()
        registrations.personal_data_register()
        registrations.events_register()
