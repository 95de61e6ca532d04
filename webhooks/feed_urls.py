"""Atom feed routes, mounted under /feeds/."""

from django.urls import path

from webhooks import feeds

app_name = "feeds"
urlpatterns = [
    path(
        "models/<str:provider>/<str:model>/reviews.atom",
        feeds.model_review_feed,
        name="model-reviews",
    ),
    path("providers/<str:provider>/reviews.atom", feeds.provider_review_feed, name="provider"),
    path("ratings.atom", feeds.rating_change_feed, name="ratings"),
]
