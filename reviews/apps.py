from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"

    def ready(self) -> None:
        from models_catalog.registry import model_versions_register
        from reviews import receivers  # noqa: F401 (connects the account_erased receiver)
        from reviews.api import rating_cache  # noqa: F401 (refreshes cached ratings on store)
        from reviews.ratings.selectors import model_version_list

        # The model page lists its versions with their review counts (the catalog asks).
        model_versions_register(model_version_list)
