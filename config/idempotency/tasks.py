from celery import shared_task

from config.idempotency.store import idempotency_key_sweep
from config.locks import single_run_task
from config.tasks import PublishSafeTask


@shared_task(base=PublishSafeTask, acks_late=True, soft_time_limit=60, time_limit=90)
@single_run_task("config.idempotency_key_sweep")
def idempotency_key_sweep_task() -> None:
    """Beat, hourly: delete idempotency keys older than IDEMPOTENCY_KEY_TTL_HOURS."""
    idempotency_key_sweep()
