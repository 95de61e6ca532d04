"""Reports of published reviews, and what they do (reviews.integrity.standing has the rule).

Reports of N distinct accounts (REVIEW_REPORTS_TO_REQUEUE), or one urgent report (personal
data, abuse), put a published review back in the moderation queue; it stays public. A report
hides it at once only when it comes from a trusted flagger (urgent reasons), or when
INTEGRITY_REPORTERS_TO_HIDE independent reporters with standing have reported it; reports from
accounts without standing never hide anything. A review hidden by reports keeps counting in
the rating until a moderator confirms the hiding (`review_hide`): nobody can pull a review
out of a rating by reporting it. Each report also feeds surge detection.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from reviews.exceptions import (
    CannotReportOwnReview,
    InputInvalid,
    ReportAlreadyExists,
    ReviewNotPublished,
)
from reviews.integrity import surges
from reviews.integrity.standing import is_trusted_flagger, reporters_hide
from reviews.models import (
    URGENT_REPORT_REASONS,
    ModerationAction,
    Report,
    ReportReason,
    Review,
    ReviewStatus,
)
from reviews.services.authoring import author_check
from reviews.services.workflow import event_record, open_reports, queue_enter, review_lock


def _report_checks(review: Review, reporter: User, reason: str) -> None:
    if reason not in ReportReason.values:
        raise InputInvalid("reason", f"Must be one of {ReportReason.values}.")
    if review.author_id == reporter.pk:
        raise CannotReportOwnReview()
    author_check(reporter)
    if review.status != ReviewStatus.PUBLISHED:
        raise ReviewNotPublished()
    if Report.objects.filter(review=review, reporter=reporter).exists():
        raise ReportAlreadyExists()


def _report_insert(review: Review, reporter: User, reason: str, note: str) -> Report:
    try:
        # Reports of one review are serialised by the review lock, so this only fails if
        # someone bypassed it; the constraint's answer is the same 409 as the check.
        with transaction.atomic():
            return Report.objects.create(review=review, reporter=reporter, reason=reason, note=note)
    except IntegrityError:
        raise ReportAlreadyExists() from None


def _flag(review: Review, report: Report, *, hide: bool) -> None:
    before = review.status
    now = timezone.now()
    review.flagged_at = review.flagged_at or now
    queue_enter(review, now)
    if hide:
        review.status = ReviewStatus.HIDDEN
    review.save()
    count = open_reports(review).count()
    event_record(
        review, actor_id=None,
        action=ModerationAction.AUTO_HIDE if hide else ModerationAction.REQUEUE,
        from_status=before, reason=report.reason, note=f"{count} open report(s).",
    )  # fmt: skip
    # No stale mark: a review hidden by reports still counts in the rating (see
    # ratings.summary.counted_reviews) until a moderator confirms the hiding.


def _hides(review: Review, report: Report, reporter_ids: list[int]) -> bool:
    urgent = report.reason in URGENT_REPORT_REASONS
    if urgent and is_trusted_flagger(report.reporter):
        return True
    # While the model shows unusual activity, only trusted flaggers hide anything.
    if surges.surge_open_get(review.model_id) is not None:
        return False
    return reporters_hide(reporter_ids)


def _react(review: Review, report: Report) -> None:
    # One report per person per review (a constraint): open reports = distinct accounts.
    reporter_ids = list(open_reports(review).values_list("reporter_id", flat=True))
    if _hides(review, report, reporter_ids):
        _flag(review, report, hide=True)
        return
    urgent = report.reason in URGENT_REPORT_REASONS
    enough = len(reporter_ids) >= settings.REVIEW_REPORTS_TO_REQUEUE
    if (urgent or enough) and review.flagged_at is None:
        _flag(review, report, hide=False)


@transaction.atomic
def report_create(*, review: Review, reporter: User, reason: str, note: str = "") -> Report:
    """Report a published review (one report per person per review), then queue or hide it
    as the module docstring says. Raises InputInvalid (reason), EmailNotVerified,
    CannotReportOwnReview, ReviewNotPublished, ReportAlreadyExists."""
    # The lock makes the count of open reports exact: the threshold is crossed once.
    review = review_lock(review)
    _report_checks(review, reporter, reason)
    report = _report_insert(review, reporter, reason, note)
    _react(review, report)
    surges.surge_detect(review.model_id)
    return report
