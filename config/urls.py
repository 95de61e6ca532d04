from typing import Any

from allauth.account import views as account_views
from allauth.account.decorators import secure_admin_login
from allauth.mfa.base import views as mfa_views
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.request import Request
from rest_framework.response import Response

from config import strict, views


@extend_schema(exclude=True)
class SchemaView(SpectacularAPIView):
    """The schema, generated under the strict table's lock: drf-spectacular's generator is not
    thread-safe while it first loads its extensions (config/strict.py)."""

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with strict.BUILD_LOCK:
            return super().get(request, *args, **kwargs)


# The admin signs in through allauth (its rate limits, its second-factor stage), never
# through Django's own form, which has neither.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    # The API first, the most requested reads first: Django tries the patterns in order on
    # every request, and each one tried cost a warm read a few microseconds (no two patterns
    # of these modules match the same path, so the order changes nothing else).
    path("api/v1/", include("reviews.api.rating_urls")),
    path("api/v1/", include("models_catalog.api.urls")),
    path("api/v1/", include("reviews.api.urls")),
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/", include("webhooks.api.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    # The moderator's workbench: server-rendered pages over the moderation services.
    path("moderation/", include("reviews.web.urls")),
    # allauth's own sign-in pages, only those the admin's sign-in needs (HEADLESS_ONLY keeps
    # the rest of its browser pages off): password, then the second factor, and sign-out.
    path("accounts/login/", account_views.login, name="account_login"),
    path("accounts/logout/", account_views.logout, name="account_logout"),
    path("accounts/2fa/authenticate/", mfa_views.authenticate, name="mfa_authenticate"),
    # A staff account without a verified address (say from `createsuperuser`) is sent a
    # verification mail (its link goes to the frontend) and told so here.
    path(
        "accounts/confirm-email/",
        account_views.email_verification_sent,
        name="account_email_verification_sent",
    ),
    # allauth's headless API: /_allauth/browser/v1/… (cookie + CSRF), /_allauth/app/v1/… (token)
    path("_allauth/", include("allauth.headless.urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("feeds/", include("webhooks.feed_urls")),
    # Anything else under the JSON prefixes: a JSON 404, with DEBUG on too.
    re_path(r"^(?:api|_allauth)/(?P<path>.*)$", views.unknown_route),
]

handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error
