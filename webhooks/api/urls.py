"""Webhooks API routes, mounted under /api/v1/."""

from django.urls import path

from webhooks.api import views

app_name = "webhooks"
urlpatterns = [
    path(
        "webhooks/subscriptions/",
        views.SubscriptionListCreateApi.as_view(),
        name="subscriptions",
    ),
    path(
        "webhooks/subscriptions/<int:subscription_id>/",
        views.SubscriptionDetailApi.as_view(),
        name="subscription-detail",
    ),
    path(
        "webhooks/subscriptions/<int:subscription_id>/enable/",
        views.SubscriptionEnableApi.as_view(),
        name="subscription-enable",
    ),
    path(
        "webhooks/subscriptions/<int:subscription_id>/ping/",
        views.SubscriptionPingApi.as_view(),
        name="subscription-ping",
    ),
    path(
        "webhooks/subscriptions/<int:subscription_id>/deliveries/",
        views.SubscriptionDeliveryListApi.as_view(),
        name="subscription-deliveries",
    ),
    path(
        "webhooks/deliveries/<int:delivery_id>/redeliver/",
        views.DeliveryRedeliverApi.as_view(),
        name="delivery-redeliver",
    ),
]
