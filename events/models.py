"""The outbox: one append-only table of domain events, and one delivery row per (event,
consumer). The rows are the record; the broker only carries the fast path."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Event(models.Model):
    """A domain event (`review.published`, `rating.changed`, ...), written in the same
    transaction as the change that caused it and never changed afterwards. The payload is
    small: ids and what consumers need to find the rest."""

    type = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["type", "created_at"]),
            # Retention (services.outbox_prune): the oldest first, up to the cut-off.
            models.Index(fields=["created_at"], name="event_created"),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk}"


class Delivery(models.Model):
    """The delivery of one event to one consumer.

    pending --claim--> claimed --success--> delivered
                          └--failure--> pending (retry at next_attempt_at) ... --> failed
    `next_attempt_at` is when a pending row is due, and for a claimed row when its claim
    lapses (a killed worker): the sweep re-publishes every row due by it.
    """

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        CLAIMED = "claimed", "claimed"
        DELIVERED = "delivered", "delivered"
        FAILED = "failed", "failed"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    consumer = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # What the consumer reported (e.g. "no address: nothing sent"), or the last error.
    result = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "consumer"], name="delivery_once_per_consumer"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "claimed", "delivered", "failed"]),
                name="delivery_state_valid",
            ),
            # Open rows are due at some time; finished rows are not, and say when they ended.
            models.CheckConstraint(
                condition=(
                    Q(
                        state__in=["pending", "claimed"],
                        next_attempt_at__isnull=False,
                        finished_at__isnull=True,
                    )
                    | Q(
                        state__in=["delivered", "failed"],
                        next_attempt_at__isnull=True,
                        finished_at__isnull=False,
                    )
                ),
                name="delivery_due_while_open_finished_when_done",
            ),
            models.CheckConstraint(
                condition=~Q(state="claimed") | Q(claimed_at__isnull=False, attempts__gte=1),
                name="delivery_claim_has_time_and_attempt",
            ),
        ]
        indexes = [
            # The sweep's query: open rows by due time (finished rows, the bulk, left out).
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "claimed"]),
                name="delivery_open_due",
            ),
            # Retention (services.outbox_prune): per state, the oldest finished first, up to
            # its cut-off.
            models.Index(
                fields=["state", "finished_at"],
                condition=Q(state__in=["delivered", "failed"]),
                name="delivery_finished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consumer} of event {self.event_id}: {self.state}"
