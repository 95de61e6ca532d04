"""The rating pipeline's entry point in the reviews app.

Issue 4 only marks a model's rating stale, in the same transaction as the review change that
made it so; issue 5 grows this module with the recompute (and the sweep that finds stale
rows). Nothing is enqueued here: the stale row is the record, a task is only a fast path.
"""

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from reviews.models import ModelRatingState


def _mark_existing(model_id: int) -> int:
    now = timezone.now()
    # One UPDATE, so concurrent markers serialise on the row lock and each increments
    # `change_seq` once (never read-modify-write). `stale_since` keeps the time the rating
    # first went stale; a fresh row starts a new stale period now.
    return ModelRatingState.objects.filter(pk=model_id).update(
        stale=True,
        stale_since=Case(
            When(stale=True, stale_since__isnull=False, then=F("stale_since")),
            default=Value(now),
        ),
        change_seq=F("change_seq") + 1,
    )


def rating_mark_stale(model_id: int) -> None:
    """Mark the model's rating stale: `stale=True`, `stale_since` set if it was fresh, and
    `change_seq` incremented. Creates the row on first use. Safe under concurrency on
    PostgreSQL and SQLite; call it inside the transaction that changed the reviews."""
    if _mark_existing(model_id):
        return
    try:
        # A savepoint: if a concurrent transaction inserts the row first, our INSERT waits
        # for it, fails on the primary key, and only the savepoint rolls back.
        with transaction.atomic():
            ModelRatingState.objects.create(
                model_id=model_id, stale=True, stale_since=timezone.now(), change_seq=1
            )
    except IntegrityError:
        _mark_existing(model_id)
