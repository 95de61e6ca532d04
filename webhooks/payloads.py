"""From an outbox event to the public webhook event: its type, the model it concerns (for
subscription filters) and the resource as the public API shows it. Links are absolute, on
`API_ORIGIN` (a payload is rendered outside any request).

Review events become `review.published` (it became public), `review.updated` (a public
review changed: an approved edit, usage verified) or `review.removed` (it left the public
site), decided by the moderation event's from- and to-status; others (a submission, a
rejection of a review never shown) are nobody's business outside and render as None.
"""

from dataclasses import dataclass
from typing import Any

from events.models import Event
from models_catalog.api.references import model_reference
from models_catalog.api.serializers import PriceOutputSerializer
from models_catalog.models import AIModel, Price
from reviews.api.serializers import ReviewOutputSerializer
from reviews.models import ModerationEvent, ReviewStatus
from reviews.selectors import review_get_visible
from webhooks.models import WebhookEventType

REVIEW_TYPES = frozenset(
    {
        "review.published", "review.edited", "review.hidden", "review.restored",
        "review.requeued", "review.withdrawn", "review.usage_verified",
    }
)  # fmt: skip
# Outbox event types the webhooks consumer receives (registered in WebhooksConfig.ready).
SOURCE_TYPES = REVIEW_TYPES | {"rating.changed", "price.changed", "model.added"}
PUBLIC = ReviewStatus.PUBLISHED


@dataclass(frozen=True)
class Rendered:
    type: str
    model_id: int | None
    data: dict[str, Any]


def _review(event: Event) -> Rendered | None:
    moderation = (
        ModerationEvent.objects.select_related("review__model")
        .filter(pk=event.payload.get("moderation_event_id"))
        .first()
    )
    if moderation is None:
        return None
    was, now = moderation.from_status == PUBLIC, moderation.to_status == PUBLIC
    if not (was or now):
        return None
    review = moderation.review
    if was and not now:
        data = {"id": str(review.public_id), "model": model_reference(review.model), "status": now}
        return Rendered(WebhookEventType.REVIEW_REMOVED, review.model_id, data)
    kind = WebhookEventType.REVIEW_UPDATED if was else WebhookEventType.REVIEW_PUBLISHED
    if review.status != PUBLIC:  # it left again since: the removal event follows
        return None
    shown = review_get_visible(public_id=review.public_id, user=None)
    return Rendered(kind, review.model_id, dict(ReviewOutputSerializer(shown).data))


def _model(model_id: int) -> AIModel | None:
    return AIModel.objects.filter(pk=model_id).first()


def _rating(event: Event) -> Rendered | None:
    model = _model(event.payload["model_id"])
    if model is None:
        return None
    rating = {k: v for k, v in event.payload.items() if k != "model_id"}
    data = {"model": model_reference(model), "rating": rating}
    return Rendered(WebhookEventType.RATING_CHANGED, model.pk, data)


def _price(event: Event) -> Rendered | None:
    price = Price.objects.select_related("model").filter(pk=event.payload["price_id"]).first()
    if price is None:
        return None
    data = {
        "model": model_reference(price.model),
        "price": PriceOutputSerializer(price).data,
    }
    return Rendered(WebhookEventType.PRICE_CHANGED, price.model_id, data)


def _model_added(event: Event) -> Rendered | None:
    model = _model(event.payload["model_id"])
    if model is None:
        return None
    data = {"model": model_reference(model)}
    return Rendered(WebhookEventType.MODEL_ADDED, model.pk, data)


def event_render(event: Event) -> Rendered | None:
    """The public event for outbox `event`, or None when there is none to send."""
    if event.type in REVIEW_TYPES:
        return _review(event)
    renderers = {"rating.changed": _rating, "price.changed": _price, "model.added": _model_added}
    renderer = renderers.get(event.type)
    return renderer(event) if renderer else None
