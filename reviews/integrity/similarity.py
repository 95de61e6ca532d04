"""Duplicate and ring signals, computed when a review is written.

Near-duplicates: the new text is compared with the model's reviews of the last
INTEGRITY_SIMILARITY_LOOKBACK_DAYS and with the author's other reviews, by PostgreSQL's
pg_trgm `similarity()` (a GIN trigram index on the body serves the `%` pre-filter). A score
at or above INTEGRITY_SIMILARITY_THRESHOLD flags both reviews, each naming the other and the
score. Rings: at least INTEGRITY_RING_MIN_ACCOUNTS accounts created within
INTEGRITY_RING_JOINED_SECONDS of each other reviewing the same model flag the new review,
naming the others. Flags inform moderators; they never hide or reject anything.

pg_trgm exists only on PostgreSQL: on SQLite (`make run` on defaults) the near-duplicate
check is skipped, with a logged note; the ring check runs everywhere.
"""

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from reviews.models import IntegrityFlag, Review, ReviewStatus

logger = logging.getLogger(__name__)
MAX_MATCHES = 10  # near-duplicates recorded per review: evidence enough, bounded work
RING_EVIDENCE = 20  # review ids named in a ring flag
# The `%` pre-filter's threshold sits this far below the flagging threshold, so the rows it
# keeps are always a superset of those the exact `similarity() >=` filter keeps (the setting
# is stored rounded, and `%` compares a single-precision score).
PREFILTER_MARGIN = 0.001


def _prefilter_threshold_set() -> None:
    """Make `%` (the GIN index's operator) keep only rows near the flagging threshold, for
    the rest of the current transaction. At pg_trgm's default (0.3) it matched every review
    sharing common words: on the bench's data 141,550 of 300,000 rows, each read from the
    heap and rechecked, 20 s for one new review, where the model's and author's scope (the
    other condition) holds a few thousand; at 0.6, 189 candidates and 0.1 s."""
    threshold = max(0.0, settings.INTEGRITY_SIMILARITY_THRESHOLD - PREFILTER_MARGIN)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [f"{threshold:.6f}"]
        )


def _near_duplicates(review: Review, now: dt.datetime) -> list[IntegrityFlag]:
    if connection.vendor != "postgresql":
        logger.info("near-duplicate check of review %s skipped: needs PostgreSQL", review.pk)
        return []
    since = now - dt.timedelta(days=settings.INTEGRITY_SIMILARITY_LOOKBACK_DAYS)
    scope = Q(model_id=review.model_id, created_at__gte=since) | Q(author_id=review.author_id)
    with transaction.atomic():  # the setting is local to a transaction: hold one
        _prefilter_threshold_set()
        return _flags(review, _matches(review, scope))


def _matches(review: Review, scope: Q) -> list[tuple[int, Any, int, float]]:
    return list(
        Review.objects.filter(scope, body__trigram_similar=review.body)
        .exclude(pk=review.pk)
        .exclude(status=ReviewStatus.WITHDRAWN)
        .annotate(score=TrigramSimilarity("body", review.body))
        .filter(score__gte=settings.INTEGRITY_SIMILARITY_THRESHOLD)
        .order_by("-score", "pk")
        .values_list("pk", "public_id", "author_id", "score")[:MAX_MATCHES]
    )


def _flags(review: Review, matches: list[tuple[int, Any, int, float]]) -> list[IntegrityFlag]:
    flags = []
    for pk, public_id, author_id, score in matches:
        same_author = author_id == review.author_id
        rounded = round(float(score), 4)
        for flagged, other, other_id in (
            (review.pk, pk, public_id),
            (pk, review.pk, review.public_id),
        ):
            flags.append(
                IntegrityFlag(
                    review_id=flagged,
                    kind=IntegrityFlag.Kind.NEAR_DUPLICATE,
                    similar_review_id=other,
                    score=rounded,
                    evidence={"similar_review": str(other_id), "same_author": same_author},
                )
            )
    return flags


def _ring(review: Review) -> list[IntegrityFlag]:
    joined = review.author.date_joined
    window = dt.timedelta(seconds=settings.INTEGRITY_RING_JOINED_SECONDS)
    peers = list(
        Review.objects.filter(
            model_id=review.model_id, author__date_joined__range=(joined - window, joined + window)
        )
        .exclude(author_id=review.author_id)
        .exclude(status=ReviewStatus.WITHDRAWN)
        .order_by("created_at", "pk")
        .values_list("pk", "public_id", "author_id")[:200]
    )
    accounts = len({author_id for _, _, author_id in peers}) + 1
    if accounts < settings.INTEGRITY_RING_MIN_ACCOUNTS:
        return []
    evidence = {
        "accounts": accounts,
        "joined_within_seconds": settings.INTEGRITY_RING_JOINED_SECONDS,
        "reviews": [str(public_id) for _, public_id, _ in peers[:RING_EVIDENCE]],
    }
    flag = IntegrityFlag(
        review=review,
        kind=IntegrityFlag.Kind.ACCOUNT_RING,
        similar_review_id=peers[0][0],
        evidence=evidence,
    )
    return [flag]


def review_scan(review: Review, *, now: dt.datetime | None = None) -> list[IntegrityFlag]:
    """Flag the review (and the reviews it resembles) with near-duplicate and ring signals.
    Call in the transaction that wrote it. Returns the flags written or already there."""
    flags = _near_duplicates(review, now or timezone.now()) + _ring(review)
    if flags:
        IntegrityFlag.objects.bulk_create(flags, ignore_conflicts=True)
    return flags
