"""Accounts API routes, mounted under /api/v1/."""

from django.urls import path

from accounts.api import views

app_name = "accounts"
urlpatterns = [
    path("me/", views.MeApi.as_view(), name="me"),
    path("me/export/", views.MeExportApi.as_view(), name="me-export"),
    path(
        "me/moderation-access/",
        views.MeModerationAccessApi.as_view(),
        name="me-moderation-access",
    ),
    path("users/<str:username>/", views.UserDetailApi.as_view(), name="user-detail"),
]
