"""Rating API routes, mounted under /api/v1/ beside the reviews routes."""

from django.urls import path

from reviews.api import rating_views

app_name = "ratings"
urlpatterns = [
    path(
        "models/<str:provider>/<str:model>/rating/",
        rating_views.ModelRatingApi.as_view(),
        name="model-rating",
    ),
    path(
        "models/<str:provider>/<str:model>/badge.svg",
        rating_views.ModelRatingBadgeApi.as_view(),
        name="model-badge",
    ),
    path(
        "ratings/methodology/",
        rating_views.RatingMethodologyApi.as_view(),
        name="methodology",
    ),
]
