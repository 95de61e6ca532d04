"""Background work of the reviews app (the rating pipeline, the integrity scan). Tasks take
ids and call one service; they are published by name (config.enqueue), never imported by the
code that enqueues them. The outcome mail is an outbox delivery (events app).

Rating tasks are routed to the `ratings` queue, the integrity scan to `default`
(CELERY_TASK_ROUTES); the sweeps and the daily refresh run from CELERY_BEAT_SCHEDULE. Every
time limit is far below the broker's visibility timeout (3600 s), so a task is never
redelivered while it still runs.
"""

from typing import TypedDict

from celery import shared_task
from django.db import InterfaceError, OperationalError

from config.locks import single_run_task
from config.tasks import PublishSafeTask
from reviews import ratings
from reviews.integrity import scan
from reviews.ratings import highlights
from reviews.services.reply_stats import reply_stats_refresh


class _RetryOptions(TypedDict):
    autoretry_for: tuple[type[Exception], ...]
    retry_backoff: int
    retry_backoff_max: int
    max_retries: int


# Transient database errors (a lost connection, a deadlock victim, a failover) are worth
# retrying; anything else is a bug that a retry would only repeat.
_DB_RETRY: _RetryOptions = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "max_retries": 5,
}


@shared_task(base=PublishSafeTask, acks_late=True, soft_time_limit=60, time_limit=90, **_DB_RETRY)
def rating_recompute_task(model_id: int) -> None:
    """Recompute and store the rating summary of `model_id` (idempotent: running it twice,
    or twice at once, stores the same summary). Published by `ratings.rating_enqueue`, after
    commit and coalesced; quietly does nothing if the model is gone."""
    ratings.rating_recompute(model_id)
    # What reviewers say is refreshed after the rating, in its own task (its own retries).
    highlights.review_highlights_enqueue(model_id)


@shared_task(base=PublishSafeTask, acks_late=True, soft_time_limit=60, time_limit=90, **_DB_RETRY)
def review_highlights_refresh_task(model_id: int) -> None:
    """Recompute and store the strengths, limitations and best-for drawn from the model's
    counted reviews (idempotent); quietly does nothing if the model is gone."""
    highlights.review_highlights_refresh(model_id)


@shared_task(base=PublishSafeTask, acks_late=True, soft_time_limit=60, time_limit=90, **_DB_RETRY)
@single_run_task("reviews.rating_sweep")
def rating_sweep_task() -> None:
    """Beat, every 30 s: re-enqueue the recompute of every model still marked stale after
    RATING_STALE_SWEEP_AFTER (a lost task, a broker or cache outage)."""
    ratings.rating_sweep()


@shared_task(
    base=PublishSafeTask, acks_late=True, soft_time_limit=1200, time_limit=1500, **_DB_RETRY
)
@single_run_task("reviews.rating_refresh")
def rating_refresh_task() -> None:
    """Beat, daily: rebuild every summary, refreshing the prior mean and the recent scores
    (which decay with time even when no review changes)."""
    ratings.ratings_rebuild()
    highlights.review_highlights_refresh_all()


@shared_task(
    base=PublishSafeTask, acks_late=True, soft_time_limit=1200, time_limit=1500, **_DB_RETRY
)
@single_run_task("reviews.rating_sums_verify")
def rating_sums_verify_task() -> None:
    """Beat, daily: check every model's running rating sums against a full scan of the
    reviews; rebuild (and log as an error) any that drifted."""
    ratings.rating_sums_verify()


@shared_task(base=PublishSafeTask, acks_late=True, soft_time_limit=300, time_limit=360, **_DB_RETRY)
@single_run_task("reviews.reply_stats_refresh")
def reply_stats_refresh_task() -> None:
    """Beat, hourly: recompute every provider's reply rate and median time to reply."""
    reply_stats_refresh()


@shared_task(base=PublishSafeTask, acks_late=True, soft_time_limit=60, time_limit=90, **_DB_RETRY)
def review_integrity_scan_task(review_id: int) -> None:
    """Scan the review for near-duplicates and rings if its scan is due (idempotent: a
    duplicate message finds nothing due). Published after the review's transaction commits
    (`scan.integrity_scan_request`) and by the sweep; quietly does nothing if it is gone."""
    scan.integrity_scan_run(review_id)


@shared_task(base=PublishSafeTask, acks_late=True, soft_time_limit=60, time_limit=90, **_DB_RETRY)
@single_run_task("reviews.integrity_scan_sweep")
def integrity_scan_sweep_task() -> None:
    """Beat, every 30 s: re-publish the scan of every review still due after
    INTEGRITY_SCAN_SWEEP_AFTER (a lost message, a broker outage)."""
    scan.integrity_scan_sweep()
