"""Helpful votes: one per person per review, changeable, never on one's own review."""

import math

from django.db import transaction
from django.db.models import Count, Q

from accounts.models import User
from models_catalog.services import model_documents_invalidate
from reviews.exceptions import CannotVoteOwnReview, ReviewNotPublished
from reviews.models import HelpfulVote, Review, ReviewStatus
from reviews.services.authoring import author_check
from reviews.services.workflow import review_lock

WILSON_Z = 1.96  # 95 % confidence


def wilson_lower_bound(positive: int, total: int, z: float = WILSON_Z) -> float:
    """Lower bound of the Wilson score interval for the share `positive / total`: a review
    with 9 of 10 helpful ranks above one with 1 of 1. 0.0 without votes."""
    if total == 0:
        return 0.0
    share = positive / total
    z2 = z * z
    centre = share + z2 / (2 * total)
    spread = z * math.sqrt((share * (1 - share) + z2 / (4 * total)) / total)
    return min(1.0, max(0.0, (centre - spread) / (1 + z2 / total)))


def _counts_refresh(review: Review) -> None:
    # Recomputed from the votes table (never incremented) while the review row is locked:
    # every vote writer of this review waits on that lock, so the counts match the votes.
    counts = HelpfulVote.objects.filter(review=review).aggregate(
        yes=Count("pk", filter=Q(helpful=True)),
        no=Count("pk", filter=Q(helpful=False)),
    )
    review.helpful_count, review.not_helpful_count = counts["yes"], counts["no"]
    review.helpfulness = wilson_lower_bound(counts["yes"], counts["yes"] + counts["no"])
    review.save(update_fields=["helpful_count", "not_helpful_count", "helpfulness"])
    # The counts show on its reviews pages (and the bundle's reviews part) only.
    model_documents_invalidate([review.model_id], reviews_only=True)


@transaction.atomic
def vote_set(*, review: Review, voter: User, helpful: bool) -> Review:
    """Record (or change) the voter's helpful / not-helpful vote and refresh the review's
    counts and helpfulness. Raises EmailNotVerified, CannotVoteOwnReview,
    ReviewNotPublished."""
    review = review_lock(review)
    if review.author_id == voter.pk:
        raise CannotVoteOwnReview()
    author_check(voter)
    if review.status != ReviewStatus.PUBLISHED:
        raise ReviewNotPublished()
    # No race on the insert: concurrent votes on this review wait for the lock above. One
    # statement (INSERT ... ON CONFLICT DO UPDATE on the one-vote constraint), not
    # update_or_create's savepoint, SELECT FOR UPDATE and write.
    vote = HelpfulVote(review=review, voter=voter, helpful=helpful)
    HelpfulVote.objects.bulk_create(
        [vote], update_conflicts=True, unique_fields=["review", "voter"],
        update_fields=["helpful", "updated_at"],
    )  # fmt: skip
    _counts_refresh(review)
    return review


@transaction.atomic
def vote_delete(*, review: Review, voter: User) -> Review:
    """Take back the voter's vote, if any (idempotent), and refresh the counts."""
    review = review_lock(review)
    HelpfulVote.objects.filter(review=review, voter=voter).delete()
    _counts_refresh(review)
    return review
