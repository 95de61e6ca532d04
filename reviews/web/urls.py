"""/moderation/…: the moderator's workbench (reviews.web)."""

from django.urls import path

from reviews.web import views

app_name = "moderation"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("reviews/<uuid:review_id>/", views.review_detail, name="review"),
    path("reviews/<uuid:review_id>/<slug:action>/", views.review_action, name="review_action"),
    path("surges/", views.surge_list, name="surges"),
    path("surges/<int:surge_id>/", views.surge_detail, name="surge"),
    path("surges/<int:surge_id>/<slug:action>/", views.surge_action, name="surge_action"),
    path("authors/<str:username>/", views.author_reviews, name="author"),
    path("models/<path:slug>/", views.model_reviews, name="model"),
]
