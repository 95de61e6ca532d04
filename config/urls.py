from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    # allauth's headless API: /_allauth/browser/v1/… (cookie + CSRF), /_allauth/app/v1/… (token)
    path("_allauth/", include("allauth.headless.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # The rating routes come first: the most requested read resolves with the fewest tries.
    path("api/v1/", include("reviews.api.rating_urls")),
    path("api/v1/", include("models_catalog.api.urls")),
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/", include("reviews.api.urls")),
    path("api/v1/", include("webhooks.api.urls")),
    path("feeds/", include("webhooks.feed_urls")),
]
