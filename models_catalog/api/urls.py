"""Catalog API routes. Model slugs are `provider/model`; both parts may hold dots, colons and
a leading `~` (`~openai/gpt-latest`, `openai/o4-mini:batch`), which `str` accepts."""

from django.urls import path

from models_catalog.api import views

app_name = "catalog"
urlpatterns = [
    path("providers/", views.ProviderListApi.as_view(), name="provider-list"),
    path("providers/<str:slug>/", views.ProviderDetailApi.as_view(), name="provider-detail"),
    path("charts/", views.ChartApi.as_view(), name="chart"),
    path("compare/", views.CompareApi.as_view(), name="compare"),
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
]
