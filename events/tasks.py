"""Delivery of outbox events. Tasks take ids and call one service; published by name
(config.enqueue), routed to the `mail` queue by CELERY_TASK_ROUTES."""

from celery import shared_task

from config.locks import single_run_task
from config.tasks import PublishSafeTask
from events import services

# The time limits stay below OUTBOX_LEASE_SECONDS: a delivery killed by the hard limit is
# claimed again by the sweep only after its claim lapsed.


@shared_task(base=PublishSafeTask, acks_late=True, soft_time_limit=60, time_limit=90)
def delivery_task(delivery_id: int) -> None:
    """Claim delivery `delivery_id` if it is due and run its consumer (see
    services.delivery_attempt). A duplicate message finds nothing to claim and returns."""
    services.delivery_attempt(delivery_id)


@shared_task(base=PublishSafeTask, acks_late=True, soft_time_limit=60, time_limit=90)
@single_run_task("events.delivery_sweep")
def delivery_sweep_task() -> None:
    """Beat, every 30 s: re-publish deliveries that are due and not done."""
    services.delivery_sweep()


@shared_task(base=PublishSafeTask, acks_late=True, soft_time_limit=240, time_limit=300)
@single_run_task("events.outbox_prune")
def outbox_prune_task() -> None:
    """Beat, hourly: delete delivered and failed deliveries, and events, past their retention
    (services.outbox_prune; batched, so a large backlog is taken over several runs)."""
    services.outbox_prune()
