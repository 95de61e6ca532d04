"""The subscription owner's API: subscriptions, their deliveries, ping and redelivery."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import AuthenticatedRequest, IsVerified
from config.openapi import CONFLICT, LOCATION_HEADER, NOT_FOUND, WRITE_ERRORS
from config.pagination import CursorPagePagination
from webhooks import selectors, services
from webhooks.api.serializers import (
    DeliveryOutputSerializer,
    SubscriptionCreatedOutputSerializer,
    SubscriptionCreateInputSerializer,
    SubscriptionOutputSerializer,
    subscription_fields,
)
from webhooks.models import WebhookSubscription
from webhooks.permissions import CanManageWebhooks

PERMISSIONS = [IsAuthenticated, IsVerified, CanManageWebhooks]


class SubscriptionListCreateApi(GenericAPIView):
    queryset = WebhookSubscription.objects.none()
    permission_classes = PERMISSIONS
    pagination_class = CursorPagePagination

    @extend_schema(responses={200: SubscriptionOutputSerializer(many=True)})
    def get(self, request: AuthenticatedRequest) -> Response:
        page = self.paginate_queryset(selectors.subscription_list_for_owner(owner=request.user))
        return self.get_paginated_response(
            SubscriptionOutputSerializer(page, many=True, context={"request": request}).data
        )

    @extend_schema(
        parameters=[LOCATION_HEADER],
        request=SubscriptionCreateInputSerializer,
        responses={201: SubscriptionCreatedOutputSerializer, **WRITE_ERRORS},
        description="Register an endpoint. The URL must resolve to public addresses (and be "
        "HTTPS in production): 400 `webhook_url_refused` otherwise. The answer carries the "
        "signing `secret`, shown once.",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = SubscriptionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = services.subscription_create(
            owner=request.user, **subscription_fields(data.validated_data)
        )
        output = SubscriptionCreatedOutputSerializer(
            subscription, context={"request": request}
        ).data
        route = reverse("webhooks:subscription-detail", args=[subscription.pk])
        location = request.build_absolute_uri(route)
        return Response(output, status=status.HTTP_201_CREATED, headers={"Location": location})


class SubscriptionDetailApi(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(responses={200: SubscriptionOutputSerializer, **NOT_FOUND})
    def get(self, request: AuthenticatedRequest, subscription_id: int) -> Response:
        subscription = selectors.subscription_get_own(
            owner=request.user, subscription_id=subscription_id
        )
        return Response(
            SubscriptionOutputSerializer(subscription, context={"request": request}).data
        )

    @extend_schema(responses={204: None, **NOT_FOUND})
    def delete(self, request: AuthenticatedRequest, subscription_id: int) -> Response:
        selectors.subscription_get_own(owner=request.user, subscription_id=subscription_id)
        services.subscription_delete(subscription_id=subscription_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubscriptionEnableApi(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(
        request=None, responses={200: SubscriptionOutputSerializer, **WRITE_ERRORS, **NOT_FOUND}
    )
    def post(self, request: AuthenticatedRequest, subscription_id: int) -> Response:
        subscription = selectors.subscription_get_own(
            owner=request.user, subscription_id=subscription_id
        )
        subscription = services.subscription_enable(subscription)
        return Response(
            SubscriptionOutputSerializer(subscription, context={"request": request}).data
        )


class SubscriptionPingApi(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(
        request=None,
        responses={202: DeliveryOutputSerializer, **NOT_FOUND, **CONFLICT},
        description="Send a signed `ping` event to the endpoint; follow it in the deliveries.",
    )
    def post(self, request: AuthenticatedRequest, subscription_id: int) -> Response:
        subscription = selectors.subscription_get_own(
            owner=request.user, subscription_id=subscription_id
        )
        delivery = services.webhook_ping(subscription)
        return Response(DeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class SubscriptionDeliveryListApi(GenericAPIView):
    queryset = WebhookSubscription.objects.none()
    permission_classes = PERMISSIONS
    pagination_class = CursorPagePagination

    @extend_schema(responses={200: DeliveryOutputSerializer(many=True), **NOT_FOUND})
    def get(self, request: AuthenticatedRequest, subscription_id: int) -> Response:
        subscription = selectors.subscription_get_own(
            owner=request.user, subscription_id=subscription_id
        )
        deliveries = selectors.delivery_list_for_subscription(subscription=subscription)
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(DeliveryOutputSerializer(page, many=True).data)


class DeliveryRedeliverApi(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(
        request=None,
        responses={202: DeliveryOutputSerializer, **NOT_FOUND, **CONFLICT},
        description="Send a finished delivery again (same event id and body).",
    )
    def post(self, request: AuthenticatedRequest, delivery_id: int) -> Response:
        delivery = selectors.delivery_get_own(owner=request.user, delivery_id=delivery_id)
        delivery = services.webhook_redeliver(delivery)
        return Response(DeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
