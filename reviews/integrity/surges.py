"""Surges: a model's "unusual activity" state, detected per model against its own baseline.

Detection runs after every review or report is written, in its transaction. For the last
INTEGRITY_SURGE_WINDOW_SECONDS it counts the model's new reviews, its new reviews by new
accounts (younger than INTEGRITY_NEW_ACCOUNT_DAYS) and the reports on its reviews; each count
is compared with the same count over the INTEGRITY_SURGE_BASELINE_DAYS before the window,
scaled to the window's length. A surge is a count at least INTEGRITY_SURGE_MULTIPLIER times
its baseline and at least its floor (the floor is what protects a new model, whose baseline
is zero). Since a surge needs its floor, the window's counts are taken first (the window's
rows only, a short index range): while none reaches its floor, the baselines (every review
of the model in 30 days, 0.08-0.14 s on the 1M-review bench's largest model) are not counted.

A surge opens a `ModelSurge` (one open per model). Reviews written in the window and while it
stays open are its members: moderated and shown as usual, but held out of the rating
(`Review.rating_held`) until a moderator releases them (they count) or rejects them (hidden
or rejected) as a batch. Opening and closing mark the rating stale, so the stored summary,
and the cached body of the rating endpoint, carry or drop the public notice.
"""

import datetime as dt
import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.selectors import moderation_access_get
from reviews.exceptions import (
    CannotModerateOwnReview,
    InputInvalid,
    InvalidTransition,
    ModerationNotAllowed,
    SurgeNotFound,
)
from reviews.models import (
    ModelSurge,
    ModerationAction,
    Report,
    ReportReason,
    Review,
    ReviewRevision,
    ReviewStatus,
    SurgeKind,
)
from reviews.ratings import rating_mark_stale
from reviews.services.workflow import event_record, queue_settle, reports_resolve

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SurgeCheck:
    """One count in the window against its baseline; `surge` when it crossed both bars."""

    name: str
    recent: int
    baseline: int  # in the baseline period
    expected: float  # the baseline scaled to one window
    threshold: float

    @property
    def surge(self) -> bool:
        return self.recent >= self.threshold


def _check(name: str, recent: int, baseline: int, floor: int) -> SurgeCheck:
    window = settings.INTEGRITY_SURGE_WINDOW_SECONDS
    expected = baseline * window / (settings.INTEGRITY_SURGE_BASELINE_DAYS * 86400)
    threshold = max(float(floor), settings.INTEGRITY_SURGE_MULTIPLIER * expected)
    return SurgeCheck(name, recent, baseline, round(expected, 4), threshold)


def _window_start(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=settings.INTEGRITY_SURGE_WINDOW_SECONDS)


def surge_checks(model_id: int, *, now: dt.datetime) -> list[SurgeCheck]:
    """The three counts of the model, each against its baseline (three queries)."""
    start = _window_start(now)
    since = start - dt.timedelta(days=settings.INTEGRITY_SURGE_BASELINE_DAYS)
    new_account = dt.timedelta(days=settings.INTEGRITY_NEW_ACCOUNT_DAYS)
    # COUNT(created_at), not COUNT(id): the model's reviews are counted from the (model,
    # created_at) index alone; with the authors joined, the whole account table was hashed
    # (127 ms on the bench's most reviewed model, for every report and new review).
    split = {"recent": Count("created_at", filter=Q(created_at__gte=start)),
             "baseline": Count("created_at", filter=Q(created_at__lt=start))}  # fmt: skip
    in_period = Review.objects.filter(model_id=model_id, created_at__gte=since)
    reviews = in_period.aggregate(**split)
    # "New" relative to when each review was written: the baseline counts the same thing.
    # Such an author joined after `since - new_account` (implied, and indexed: the join
    # starts from the accounts that joined since).
    new = in_period.filter(
        Q(author__date_joined__gte=F("created_at") - new_account),
        Q(author__date_joined__gte=since - new_account),
    ).aggregate(**split)
    reports = Report.objects.filter(review__model_id=model_id, created_at__gte=since).aggregate(
        **split
    )
    return [
        _check("reviews", reviews["recent"], reviews["baseline"],
               settings.INTEGRITY_SURGE_MIN_REVIEWS),
        _check("new_account_reviews", new["recent"], new["baseline"],
               settings.INTEGRITY_SURGE_MIN_NEW_ACCOUNT_REVIEWS),
        _check("reports", reports["recent"], reports["baseline"],
               settings.INTEGRITY_SURGE_MIN_REPORTS),
    ]  # fmt: skip


def _window_below_floors(model_id: int, *, now: dt.datetime) -> bool:
    """True if none of the model's counts in the window reaches its floor: no surge,
    whatever the baselines (a surge needs at least the floor). Two queries on the window."""
    start = _window_start(now)
    new_account = dt.timedelta(days=settings.INTEGRITY_NEW_ACCOUNT_DAYS)
    new = Q(author__date_joined__gte=F("created_at") - new_account)
    reviews = Review.objects.filter(model_id=model_id, created_at__gte=start).aggregate(
        recent=Count("pk"), recent_new=Count("pk", filter=new)
    )
    if reviews["recent"] >= settings.INTEGRITY_SURGE_MIN_REVIEWS:
        return False
    if reviews["recent_new"] >= settings.INTEGRITY_SURGE_MIN_NEW_ACCOUNT_REVIEWS:
        return False
    reports = Report.objects.filter(review__model_id=model_id, created_at__gte=start).count()
    return reports < settings.INTEGRITY_SURGE_MIN_REPORTS


def surge_open_get(model_id: int) -> ModelSurge | None:
    return ModelSurge.objects.filter(model_id=model_id, state=ModelSurge.State.OPEN).first()


def surge_hold(review: Review) -> None:
    """Before a new review is saved: if its model has an open surge, the review joins it and
    is held out of the rating."""
    surge = surge_open_get(review.model_id)
    if surge is not None:
        review.surge = surge
        review.rating_held = True


def _open(model_id: int, kind: SurgeKind, checks: list[SurgeCheck], now: dt.datetime) -> bool:
    evidence = {
        "window_start": _window_start(now).isoformat(),
        "checks": [{**asdict(check), "surge": check.surge} for check in checks],
    }
    try:
        # A savepoint: a concurrent detection may open the model's surge first (constraint).
        with transaction.atomic():
            surge = ModelSurge.objects.create(
                model_id=model_id, kind=kind, since=now, evidence=evidence
            )
    except IntegrityError:
        return False
    # The reviews that made the surge are members too, not only those that follow.
    Review.objects.filter(
        model_id=model_id, created_at__gte=_window_start(now), surge__isnull=True
    ).exclude(status=ReviewStatus.WITHDRAWN).update(surge=surge, rating_held=True)
    rating_mark_stale(model_id)
    logger.warning("unusual activity on model %s: %s (%s)", model_id, kind, evidence["checks"])
    return True


def surge_detect(
    model_id: int, *, now: dt.datetime | None = None, none_open: bool = False
) -> ModelSurge | None:
    """Open a surge of the model if its recent activity crossed a bar and none is open.
    Call inside the transaction that wrote the review or report. Returns the surge opened.
    `none_open`: the caller found no open surge in this transaction (`surge_open_get`), so
    it is not asked again; one opened since is caught by the constraint `_open` meets."""
    if not none_open and surge_open_get(model_id) is not None:
        return None
    now = now or timezone.now()
    if _window_below_floors(model_id, now=now):
        return None
    checks = surge_checks(model_id, now=now)
    crossed = {check.name for check in checks if check.surge}
    if not crossed:
        return None
    kind = SurgeKind.REPORT_SURGE if crossed == {"reports"} else SurgeKind.REVIEW_SURGE
    return surge_open_get(model_id) if _open(model_id, kind, checks, now) else None


# --- Moderators: release or reject a surge's reviews as a batch ------------------------


def _locked_open(surge_id: int, moderator: User) -> ModelSurge:
    if not moderation_access_get(moderator).allowed:
        raise ModerationNotAllowed()
    surge = ModelSurge.objects.select_for_update().filter(pk=surge_id).first()
    if surge is None:
        raise SurgeNotFound()
    if surge.state != ModelSurge.State.OPEN:
        raise InvalidTransition(f"This surge is {surge.state} already.")
    if surge.members.filter(author_id=moderator.pk).exists():
        raise CannotModerateOwnReview("Your own review is in this surge.")
    return surge


def _close(surge: ModelSurge, state: ModelSurge.State, moderator: User, note: str) -> None:
    surge.state = state
    surge.resolved_by = moderator
    surge.resolved_at = timezone.now()
    surge.note = note
    surge.save()


@transaction.atomic
def surge_release(*, surge_id: int, moderator: User, note: str = "") -> ModelSurge:
    """Close the surge: its reviews count in the rating as any other (pending ones once
    verified). Marks the rating stale (the notice goes). Raises ModerationNotAllowed,
    SurgeNotFound, InvalidTransition, CannotModerateOwnReview."""
    surge = _locked_open(surge_id, moderator)
    _close(surge, ModelSurge.State.RELEASED, moderator, note)
    Review.objects.filter(surge=surge, rating_held=True).update(rating_held=False)
    rating_mark_stale(surge.model_id)
    return surge


def _reject_member(review: Review, moderator: User, reason: str, note: str) -> None:
    before = review.status
    if before == ReviewStatus.PENDING:
        review.status = ReviewStatus.REJECTED
        action = ModerationAction.REJECT
    elif before in (ReviewStatus.PUBLISHED, ReviewStatus.HIDDEN):
        review.status = ReviewStatus.HIDDEN
        action = ModerationAction.HIDE
    else:
        return
    review.revisions.filter(state=ReviewRevision.State.PENDING).update(
        state=ReviewRevision.State.REJECTED
    )
    review.has_pending_edit = False
    # Held no longer: hidden or rejected, it does not count; restored later, it would.
    review.rating_held = False
    reports_resolve(review, Report.State.UPHELD)
    queue_settle(review)
    review.save()
    event_record(
        review, actor_id=moderator.pk, action=action, from_status=before, reason=reason,
        note=note or f"Rejected with surge {review.surge_id}.",
    )  # fmt: skip


@transaction.atomic
def surge_reject(
    *, surge_id: int, moderator: User, reason: str = ReportReason.SPAM, note: str = ""
) -> ModelSurge:
    """Close the surge rejecting its reviews: pending ones rejected, published ones hidden,
    each with an audit event and the author told. Marks the rating stale. Raises
    InputInvalid (reason), ModerationNotAllowed, SurgeNotFound, InvalidTransition,
    CannotModerateOwnReview."""
    if reason not in ReportReason.values:
        raise InputInvalid("reason", f"Must be one of {ReportReason.values}.")
    surge = _locked_open(surge_id, moderator)
    _close(surge, ModelSurge.State.REJECTED, moderator, note)
    # Locked in id order, like every multi-review writer (see workflow.review_lock).
    for review in Review.objects.select_for_update().filter(surge=surge).order_by("pk"):
        _reject_member(review, moderator, reason, note)
    rating_mark_stale(surge.model_id)
    return surge


# --- Reads -------------------------------------------------------------------------------


def surge_list(*, state: str | None = None, model: str | None = None) -> QuerySet[ModelSurge]:
    """Surges, newest first, with their model and member count (one query)."""
    queryset = ModelSurge.objects.select_related("model", "resolved_by").annotate(
        member_count=Count("members")
    )
    if state:
        queryset = queryset.filter(state=state)
    if model:
        queryset = queryset.filter(model__slug=model)
    return queryset.order_by("-since", "-id")


def surge_get(*, surge_id: int) -> ModelSurge:
    surge = surge_list().filter(pk=surge_id).first()
    if surge is None:
        raise SurgeNotFound()
    return surge
