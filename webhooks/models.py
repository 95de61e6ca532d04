"""Webhook subscriptions and their deliveries.

A subscription is an endpoint an integrator registered for some public event types, maybe
narrowed to a provider or to models. Each outbox event of such a type becomes one delivery
row per matching subscription (`webhooks.services.webhook_fanout`); the row is the record of
every attempt, retried with backoff for about a day.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from events.models import Event
from models_catalog.models import AIModel, Provider


class WebhookEventType(models.TextChoices):
    """The public event types a subscription may ask for (`ping` is sent on request only)."""

    REVIEW_PUBLISHED = "review.published", "A review became public"
    REVIEW_UPDATED = "review.updated", "A public review changed"
    REVIEW_REMOVED = "review.removed", "A public review was hidden or withdrawn"
    REPLY_PUBLISHED = "reply.published", "A provider reply was published (issue 16)"
    RATING_CHANGED = "rating.changed", "A model's rating changed"
    PRICE_CHANGED = "price.changed", "A model's price changed"
    MODEL_ADDED = "model.added", "A model was added to the catalog"
    PING = "ping", "A test event, sent on request"


class WebhookSubscription(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list)  # WebhookEventType values
    # Filter: none means every model; a provider and models narrow it (both must match).
    filter_provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    filter_models = models.ManyToManyField(AIModel, blank=True, related_name="+")
    # The HMAC key. Stored as is, not hashed: signing needs it. Whoever reads this column
    # can forge deliveries, which is why the API shows it once and never again (the admin
    # never shows it either); rotating means deleting and registering again.
    secret = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        permissions = [("manage_subscriptions", "Can manage own webhook subscriptions")]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_active=True, disabled_at__isnull=True)
                | Q(is_active=False, disabled_at__isnull=False),
                name="webhook_disabled_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.url} ({self.owner_id})"


class WebhookDelivery(models.Model):
    """One event to one subscription: pending -> claimed -> delivered | pending (retry) |
    failed. `next_attempt_at` is when a pending row is due, or when a claim lapses."""

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        CLAIMED = "claimed", "claimed"
        DELIVERED = "delivered", "delivered"
        FAILED = "failed", "failed"

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="webhook_deliveries")
    event_type = models.CharField(max_length=32, choices=WebhookEventType.choices)
    # The JSON body, rendered once: every attempt sends the same bytes.
    body = models.TextField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Never the response body: its status and a capped excerpt (WEBHOOK_EXCERPT_CHARS).
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="webhook_delivery_once_per_subscription"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "claimed"], next_attempt_at__isnull=False)
                | Q(state__in=["delivered", "failed"], next_attempt_at__isnull=True),
                name="webhook_delivery_due_while_open",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "claimed"]),
                name="webhook_delivery_open_due",
            ),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_recent"),
            # Retention (services.webhook_prune): per state, the oldest finished first, up to
            # its cut-off.
            models.Index(
                fields=["state", "finished_at"],
                condition=Q(state__in=["delivered", "failed"]),
                name="webhook_delivery_finished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.event_id} to {self.subscription_id}: {self.state}"
