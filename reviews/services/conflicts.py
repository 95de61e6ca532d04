"""Conflict-of-interest marks kept in step with provider membership (a consumer of the
outbox event `provider.membership_changed`, which the catalog records with each grant and
revocation)."""

from django.db import transaction

from accounts.models import User
from events.models import Event
from reviews.models import Review, ReviewStatus
from reviews.ratings import rating_mark_stale
from reviews.services.workflow import conflict_of_interest


@transaction.atomic
def review_conflicts_refresh(*, user_id: int, provider_id: int) -> int:
    """Re-decide `conflict_of_interest` on the person's active reviews of the provider's
    models (a member's reviews are conflicted, also those written before the grant); marks
    the rating stale for each published review whose mark changed. Idempotent: recomputed
    from the memberships, never toggled. Returns how many reviews changed."""
    author = User.objects.filter(pk=user_id).first()
    if author is None:
        return 0
    # Locked in id order, like every writer of reviews (see workflow.review_lock).
    reviews = list(
        Review.objects.select_for_update(of=("self",))
        .select_related("model__provider")
        .filter(author_id=user_id, model__provider_id=provider_id)
        .exclude(status=ReviewStatus.WITHDRAWN)
        .order_by("pk")
    )
    stale: set[int] = set()
    changed = 0
    for review in reviews:
        marked = conflict_of_interest(author, review.model)
        if marked == review.conflict_of_interest:
            continue
        review.conflict_of_interest = marked
        review.save(update_fields=["conflict_of_interest", "updated_at"])
        changed += 1
        if review.status == ReviewStatus.PUBLISHED:
            stale.add(review.model_id)
    for model_id in sorted(stale):
        rating_mark_stale(model_id)
    return changed


def review_conflicts_consumer(event: Event) -> str | None:
    """Outbox consumer `review_conflicts_refresh` (reviews.registrations)."""
    changed = review_conflicts_refresh(
        user_id=event.payload["user_id"], provider_id=event.payload["provider_id"]
    )
    return f"{changed} review(s) re-marked"
