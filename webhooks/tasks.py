"""Webhook delivery tasks: ids in, one service call; published by name (config.enqueue),
routed to the `webhooks` queue so slow endpoints never hold up mail or ratings."""

from celery import shared_task

from config.locks import single_run_task
from config.tasks import PublishSafeTask
from webhooks import services

# Below WEBHOOK_LEASE_SECONDS: a delivery killed by the hard limit is claimed again by the
# sweep only after its claim lapsed.


@shared_task(base=PublishSafeTask, acks_late=True, soft_time_limit=60, time_limit=90)
def webhook_delivery_task(delivery_id: int) -> None:
    """Claim delivery `delivery_id` if due and POST it (services.webhook_delivery_attempt)."""
    services.webhook_delivery_attempt(delivery_id)


@shared_task(base=PublishSafeTask, acks_late=True, soft_time_limit=60, time_limit=90)
@single_run_task("webhooks.webhook_sweep")
def webhook_sweep_task() -> None:
    """Beat, every 30 s: re-publish webhook deliveries that are due and not done."""
    services.webhook_sweep()


@shared_task(base=PublishSafeTask, acks_late=True, soft_time_limit=240, time_limit=300)
@single_run_task("webhooks.webhook_prune")
def webhook_prune_task() -> None:
    """Beat, hourly: delete finished webhook deliveries past their retention (batched)."""
    services.webhook_prune()
