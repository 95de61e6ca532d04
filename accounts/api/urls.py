"""Accounts API routes, mounted under /api/v1/."""

from django.urls import path, register_converter

from accounts.api import views


class UsernameConverter:
    """Any username (Django allows Unicode letters), never a slash or a control character:
    a NUL would reach PostgreSQL, which refuses it. Anything else is a JSON 404."""

    regex = r"[^/\x00-\x1f\x7f]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(UsernameConverter, "username")

app_name = "accounts"
urlpatterns = [
    path("me/", views.MeApi.as_view(), name="me"),
    path("me/export/", views.MeExportApi.as_view(), name="me-export"),
    path(
        "me/moderation-access/",
        views.MeModerationAccessApi.as_view(),
        name="me-moderation-access",
    ),
    path("users/<username:username>/", views.UserDetailApi.as_view(), name="user-detail"),
]
