"""The integrity scan of a review (near-duplicates and rings, similarity.py), after commit.

The request only records that a scan is due: `Review.integrity_scan_due_at`, set in the
transaction that puts a new text up for moderation (a new review, an appeal), and publishes
`review_integrity_scan_task` after that transaction commits. The mark is the record, the task
the fast path: if the message is lost (broker down, worker killed), the beat sweep re-publishes
every review still due after INTEGRITY_SCAN_SWEEP_AFTER seconds.

The scan clears the mark only if it is still the one it read (a conditional UPDATE): an edit
that put a newer text up for moderation meanwhile set a new mark, and that text gets its own
scan. A duplicate message finds no mark and returns; two scans of one text at once write the
same flags (`ignore_conflicts`). A scan that fails moves its mark to the back of the sweep's
order (`_requeue_last`), so a review whose scan keeps failing never crowds out lost ones.
"""

import datetime as dt
import functools
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.enqueue import publish, task_name
from reviews.integrity.similarity import review_scan
from reviews.models import Review, ReviewStatus

logger = logging.getLogger(__name__)
SWEEP_BATCH = 1000  # reviews re-published per sweep tick; the next tick takes the rest
INTEGRITY_SCAN_TASK = task_name("reviews.tasks.review_integrity_scan_task")


def integrity_scan_publish(review: Review) -> None:
    """Publish the review's scan (never raises); the on-commit callback of a request."""
    if review.pk is not None:
        publish(INTEGRITY_SCAN_TASK, (review.pk,), retry=False)


def integrity_scan_request(review: Review) -> None:
    """Before saving a review whose text goes up for moderation: mark its scan due, and
    publish the scan after the transaction commits (never raises; the sweep covers a lost
    publish). Rolled back with the transaction, the mark and the publish both go."""
    review.integrity_scan_due_at = timezone.now()
    # The pk is read at commit: a new review has none before its INSERT.
    transaction.on_commit(functools.partial(integrity_scan_publish, review), robust=True)


def integrity_scan_run(review_id: int) -> bool:
    """Scan the review if a scan is due, and clear the mark it read. True if it scanned.
    A withdrawn review is not scanned (its mark is cleared); a missing one is ignored."""
    review = Review.objects.select_related("author").filter(pk=review_id).first()
    if review is None or review.integrity_scan_due_at is None:
        return False
    due = review.integrity_scan_due_at
    scanned = review.status != ReviewStatus.WITHDRAWN
    try:
        with transaction.atomic():
            if scanned:
                review_scan(review)
            # Conditional: a newer text (a new mark) stays due for its own scan.
            Review.objects.filter(pk=review_id, integrity_scan_due_at=due).update(
                integrity_scan_due_at=None
            )
    except Exception:
        _requeue_last(review_id, due)
        raise
    return scanned


def _requeue_last(review_id: int, due: dt.datetime) -> None:
    """A scan that failed stays due, with its mark moved to now: the sweep takes the oldest
    first, so a review whose scan keeps failing (a bug, a time limit) goes behind every lost
    message instead of taking the sweep's batch every tick. Never raises (the database may
    be what failed; the mark is then unchanged and the sweep still finds it)."""
    try:
        Review.objects.filter(pk=review_id, integrity_scan_due_at=due).update(
            integrity_scan_due_at=timezone.now()
        )
    except Exception:
        logger.warning("integrity scan of review %s failed; its mark is unchanged", review_id)


def integrity_scan_sweep(*, now: dt.datetime | None = None) -> list[int]:
    """Re-publish the scan of every review due for more than INTEGRITY_SCAN_SWEEP_AFTER
    seconds (a lost message), oldest first, at most SWEEP_BATCH. Returns their ids. A scan
    whose message is merely waiting in a queue is published twice; the second finds nothing
    due."""
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=settings.INTEGRITY_SCAN_SWEEP_AFTER)
    due = list(
        Review.objects.filter(integrity_scan_due_at__lte=cutoff)
        .order_by("integrity_scan_due_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for review_id in due:
        publish(INTEGRITY_SCAN_TASK, (review_id,), retry=False)
    if due:
        logger.info("integrity scan sweep re-published %d review(s)", len(due))
    return due
