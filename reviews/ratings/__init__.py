"""The rating pipeline: from published reviews to a stored summary per model.

    review change ──(same transaction)──> stale mark, change_seq + 1      stale.py
         └─(after commit, coalesced)──> rating_recompute_task(model_id)   stale.py, tasks.py
    rating_recompute: lock the summary row, read change_seq, one aggregate
        query, compute (reviews.scoring), store if not older, clear the
        stale mark if change_seq did not move, record `rating.changed`
        (outbox) for changed values; after commit, refresh the cache      store.py, summary.py
    the summary's one type: stored JSON, API body, catalog brief         types.py
    beat: rating_sweep every 30 s re-enqueues marks left stale;
          rating_refresh daily rebuilds everything (prior mean, recent scores)
    recompute_ratings [--model] [--check]: the same rebuild by hand       store.py, check.py
    running sums per (model, use-case mask, version), kept by a database
        trigger in each change's transaction, folded by the recompute, so
        a recompute reads a few rows, not every review (PostgreSQL);
        beat: rating_sums_verify daily checks them against a full scan    sums.py, sums_check.py
    reads: the stored summary, never an aggregate; pre-rendered in cache  selectors.py, cache.py

Counted reviews (summary.counted_reviews): published, without a disclosed conflict of
interest, not held by a surge; a review hidden by reports counts until a moderator confirms
the hiding (reviews.integrity). Import the public functions from here.
"""

from reviews.ratings.check import RatingDifference, ratings_check
from reviews.ratings.stale import (
    published_documents_invalidate,
    rating_enqueue,
    rating_mark_stale,
    rating_sweep,
)
from reviews.ratings.store import (
    RatingComputation,
    RebuildReport,
    prior_get_or_create,
    rating_recompute,
    ratings_compute,
    ratings_rebuild,
    ratings_store,
)
from reviews.ratings.sums_check import (
    SumsReport,
    rating_sums_check,
    rating_sums_rebuild,
    rating_sums_repair,
    rating_sums_verify,
)

__all__ = [
    "RatingComputation",
    "RatingDifference",
    "RebuildReport",
    "SumsReport",
    "prior_get_or_create",
    "published_documents_invalidate",
    "rating_enqueue",
    "rating_mark_stale",
    "rating_recompute",
    "rating_sums_check",
    "rating_sums_rebuild",
    "rating_sums_repair",
    "rating_sums_verify",
    "rating_sweep",
    "ratings_check",
    "ratings_compute",
    "ratings_rebuild",
    "ratings_store",
]
