"""Background work of the reviews app. Tasks take ids and call one service."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from accounts.tasks import PublishSafeTask
from reviews.services.notifications import review_outcome_notify


@shared_task(
    base=PublishSafeTask,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def review_outcome_notify_task(event_id: int) -> None:
    """Mail the author the outcome of moderation event `event_id` (routed to the `mail`
    queue by CELERY_TASK_ROUTES).

    Enqueue with `delay_on_commit`: a broker outage is logged, never a failed request.
    Retries transient database errors only; SMTP retries belong to `mail_send_task`, to
    which the rendered message goes. Quietly does nothing if the event is gone.
    """
    review_outcome_notify(event_id=event_id)
