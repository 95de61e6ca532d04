"""Reads of webhook subscriptions and deliveries, always scoped to their owner."""

from django.db.models import QuerySet

from accounts.models import User
from events.models import Event
from models_catalog.models import AIModel, Provider
from reviews.models import Review, ReviewStatus
from webhooks.exceptions import WebhookDeliveryNotFound, WebhookSubscriptionNotFound
from webhooks.models import WebhookDelivery, WebhookSubscription


def subscription_list_for_owner(*, owner: User) -> QuerySet[WebhookSubscription]:
    return (
        WebhookSubscription.objects.filter(owner=owner)
        .select_related("filter_provider")
        .prefetch_related("filter_models")
        .order_by("-created_at", "-pk")
    )


def subscription_get_own(*, owner: User, subscription_id: int) -> WebhookSubscription:
    """The owner's subscription; WebhookSubscriptionNotFound for anyone else's."""
    subscription = subscription_list_for_owner(owner=owner).filter(pk=subscription_id).first()
    if subscription is None:
        raise WebhookSubscriptionNotFound()
    return subscription


def delivery_list_for_subscription(
    *, subscription: WebhookSubscription
) -> QuerySet[WebhookDelivery]:
    """Newest first: status, attempts, last error; never the body of an answer."""
    return WebhookDelivery.objects.filter(subscription=subscription).order_by("-created_at", "-pk")


def delivery_get_own(*, owner: User, delivery_id: int) -> WebhookDelivery:
    delivery = (
        WebhookDelivery.objects.select_related("subscription")
        .filter(pk=delivery_id, subscription__owner=owner)
        .first()
    )
    if delivery is None:
        raise WebhookDeliveryNotFound()
    return delivery


# --- Feeds --------------------------------------------------------------------------------

FEED_SIZE = 50


def _published() -> QuerySet[Review]:
    return (
        Review.objects.filter(status=ReviewStatus.PUBLISHED, published_at__isnull=False)
        .select_related("author", "model")
        .order_by("-published_at", "-pk")
    )


def review_feed_for_model(*, model: AIModel) -> QuerySet[Review]:
    """The model's newest published reviews (FEED_SIZE), newest first."""
    return _published().filter(model=model)[:FEED_SIZE]


def review_feed_for_provider(*, provider: Provider) -> QuerySet[Review]:
    return _published().filter(model__provider=provider)[:FEED_SIZE]


def rating_change_feed() -> list[tuple[Event, AIModel]]:
    """The newest `rating.changed` outbox events (FEED_SIZE) with their models (2 queries);
    events of a model since deleted are left out."""
    newest = Event.objects.filter(type="rating.changed").order_by("-created_at", "-pk")
    events = list(newest[:FEED_SIZE])
    models = AIModel.objects.in_bulk({e.payload.get("model_id") for e in events})
    return [(e, models[e.payload["model_id"]]) for e in events if e.payload["model_id"] in models]
