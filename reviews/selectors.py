"""Reads of the reviews app: public lists, one review, the author's own, the moderation queue
and the audit log.

Side-effect free. List selectors preload every relation their API output reads, so the
number of queries does not grow with the page size.
"""

import uuid

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.models import User
from models_catalog.models import AIModel
from reviews.exceptions import ReviewNotFound
from reviews.integrity.standing import with_reviewer_facts
from reviews.models import (
    IntegrityFlag,
    ModerationEvent,
    Report,
    Review,
    ReviewRevision,
    ReviewStatus,
)

# `?order=` of the public list -> ordering. Each ends in `id`, so every row has a unique
# position and the keyset cursor never skips or repeats a review.
REVIEW_ORDERINGS: dict[str, tuple[str, ...]] = {
    "newest": ("-published_at", "-id"),
    "most_helpful": ("-helpfulness", "-published_at", "-id"),
    "highest": ("-rating", "-published_at", "-id"),
    "lowest": ("rating", "-published_at", "-id"),
}
QUEUE_ORDERING = ("queued_at", "id")
# What a queue item can wait for, in the order moderators read them.
WAITING_REASONS = ("review", "edit", "reports")


def review_waiting_for(review: Review) -> list[str]:
    """Why the review is in the moderation queue: `review` (a new text or an appeal), `edit`
    (an edit of the published text) and/or `reports` (open reports nobody decided on).
    Empty when nothing waits. The one definition the queue's service and API both use."""
    waiting = {
        "review": review.status == ReviewStatus.PENDING,
        "edit": review.status == ReviewStatus.PUBLISHED and review.has_pending_edit,
        "reports": review.flagged_at is not None,
    }
    return [name for name in WAITING_REASONS if waiting[name]]


def _pending_revisions() -> Prefetch:
    pending = ReviewRevision.objects.filter(state=ReviewRevision.State.PENDING)
    return Prefetch("revisions", queryset=pending, to_attr="pending_revisions")


def review_versions_known(model: AIModel) -> list[str]:
    """The versions a review of `model` may name: the catalog's canonical version slug, the
    model's own slug, and every version earlier reviews named (each was the canonical one,
    or one of these, when it was written: the catalog keeps no other version history)."""
    known = [model.version_slug, model.slug] if model.version_slug else [model.slug]
    earlier = (
        Review.objects.filter(model=model)
        .exclude(model_version__in=known)
        .values_list("model_version", flat=True)
        .distinct()
    )
    return [*known, *sorted(earlier)]


def _use_case_filter(queryset: QuerySet[Review], use_case: str) -> QuerySet[Review]:
    if connection.vendor == "postgresql":
        # jsonb containment (`@>`): exact element match.
        return queryset.filter(use_cases__contains=[use_case])
    # SQLite (`make run`) has no JSON containment lookup. The list holds only `UseCase`
    # values (lowercase words, checked on write), so the quoted value appears in the stored
    # JSON text exactly when it is an element: `"coding"` cannot match inside another value.
    return queryset.filter(use_cases__icontains=f'"{use_case}"')


def review_list_for_model(
    *,
    model: AIModel,
    rating: int | None = None,
    use_case: str | None = None,
    model_version: str | None = None,
    usage_verified: bool | None = None,
) -> QuerySet[Review]:
    """Published reviews of `model`, filtered, with author and model preloaded (unordered:
    the paginator applies one of `REVIEW_ORDERINGS`)."""
    queryset = Review.objects.filter(model=model, status=ReviewStatus.PUBLISHED)
    if rating is not None:
        queryset = queryset.filter(rating=rating)
    if use_case:
        queryset = _use_case_filter(queryset, use_case)
    if model_version:
        queryset = queryset.filter(model_version=model_version)
    if usage_verified is not None:
        queryset = queryset.filter(usage_verified=usage_verified)
    return with_reviewer_facts(queryset.select_related("author", "model"))


def review_get_visible(*, public_id: uuid.UUID, user: User | None) -> Review:
    """The review if `user` may see it: published ones to everyone, every state to its
    author. ReviewNotFound otherwise (nobody learns that a hidden review exists)."""
    visible = Q(status=ReviewStatus.PUBLISHED)
    if user is not None and user.is_authenticated:
        visible |= Q(author_id=user.pk)
    review = (
        with_reviewer_facts(Review.objects.select_related("author", "model"))
        .prefetch_related(_pending_revisions())
        .filter(visible, public_id=public_id)
        .first()
    )
    if review is None:
        raise ReviewNotFound()
    return review


def review_list_for_author(*, author: User) -> QuerySet[Review]:
    """The author's reviews in every state, newest first, with the edit waiting for
    moderation (if any) preloaded as `pending_revisions`."""
    return (
        with_reviewer_facts(Review.objects.filter(author=author))
        .select_related("author", "model")
        .prefetch_related(_pending_revisions())
        .order_by("-created_at", "-id")
    )


def _moderation_queryset() -> QuerySet[Review]:
    open_reports = Report.objects.filter(state=Report.State.OPEN).select_related("reporter")
    flags = IntegrityFlag.objects.select_related("similar_review").order_by("created_at", "pk")
    reviews = with_reviewer_facts(Review.objects.select_related("author", "model"))
    return reviews.prefetch_related(
        _pending_revisions(),
        Prefetch("reports", queryset=open_reports.order_by("created_at"), to_attr="open_reports"),
        Prefetch("integrity_flags", queryset=flags, to_attr="flags"),
    )


def moderation_review_get(*, public_id: uuid.UUID) -> Review:
    """Any review, as moderators see it (open reports and the waiting edit preloaded as
    `open_reports` and `pending_revisions`). ReviewNotFound."""
    review = _moderation_queryset().filter(public_id=public_id).first()
    if review is None:
        raise ReviewNotFound()
    return review


def moderation_queue(
    *,
    model: str | None = None,
    reason: str | None = None,
    surge: int | None = None,
    flag: str | None = None,
) -> QuerySet[Review]:
    """Reviews waiting for a moderator, oldest first: new ones and appeals (`pending`),
    published ones with an edit waiting, and reported ones (put back in the queue or hidden
    at once). `model` is a model slug; `reason` keeps items with an open report of it;
    `flag` items with an integrity flag of that kind. `surge` (an id) lists every member of
    that surge together, waiting or not, in arrival order. Preloads like
    `moderation_review_get`."""
    if surge is not None:
        queryset = _moderation_queryset().filter(surge_id=surge).order_by("created_at", "id")
    else:
        queryset = _moderation_queryset().filter(queued_at__isnull=False)
        queryset = queryset.order_by(*QUEUE_ORDERING)
    if flag:
        queryset = queryset.filter(
            Exists(IntegrityFlag.objects.filter(review=OuterRef("pk"), kind=flag))
        )
    if model:
        queryset = queryset.filter(model__slug=model)
    if reason:
        matching = Report.objects.filter(
            review=OuterRef("pk"), state=Report.State.OPEN, reason=reason
        )
        queryset = queryset.filter(Exists(matching))
    return queryset


def moderation_event_list(
    *, review: uuid.UUID | None = None, actor: str | None = None, action: str | None = None
) -> QuerySet[ModerationEvent]:
    """The audit log, newest first, optionally for one review (public id), one actor
    (username) or one action."""
    queryset = ModerationEvent.objects.select_related("review", "review__model", "actor")
    if review:
        queryset = queryset.filter(review__public_id=review)
    if actor:
        queryset = queryset.filter(actor__username=actor)
    if action:
        queryset = queryset.filter(action=action)
    return queryset.order_by("-created_at", "-id")
