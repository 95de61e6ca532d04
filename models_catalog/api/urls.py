"""Catalog API routes. Model slugs are `provider/model`; both parts may hold dots, colons and
a leading `~` (`~openai/gpt-latest`, `openai/o4-mini:batch`), which `str` accepts."""

from django.urls import path

from models_catalog.api import profile_views, views

app_name = "catalog"
urlpatterns = [
    # The model page's reads first (see config/urls.py).
    path("models/", views.ModelListApi.as_view(), name="model-list"),
    path("models/<str:provider>/<str:model>/", views.ModelDetailApi.as_view(), name="model-detail"),
    path(
        "models/<str:provider>/<str:model>/cost/", views.ModelCostApi.as_view(), name="model-cost"
    ),
    path(
        "models/<str:provider>/<str:model>/prices/",
        views.ModelPriceHistoryApi.as_view(),
        name="model-prices",
    ),
    path(
        "models/<str:provider>/<str:model>/ranks/",
        views.ModelRanksApi.as_view(),
        name="model-ranks",
    ),
    path("providers/", views.ProviderListApi.as_view(), name="provider-list"),
    path("providers/<str:slug>/", views.ProviderDetailApi.as_view(), name="provider-detail"),
    path("charts/", views.ChartApi.as_view(), name="chart"),
    path("compare/", views.CompareApi.as_view(), name="compare"),
    path(
        "providers/<str:slug>/profile/",
        profile_views.ProviderProfileApi.as_view(),
        name="provider-profile",
    ),
    path(
        "moderation/provider-profiles/",
        profile_views.ModerationProfileEditQueueApi.as_view(),
        name="moderation-profile-edits",
    ),
    path(
        "moderation/provider-profiles/<int:edit_id>/accept/",
        profile_views.ModerationProfileEditAcceptApi.as_view(),
        name="moderation-profile-edit-accept",
    ),
    path(
        "moderation/provider-profiles/<int:edit_id>/reject/",
        profile_views.ModerationProfileEditRejectApi.as_view(),
        name="moderation-profile-edit-reject",
    ),
]
