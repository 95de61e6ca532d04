"""Reports of published reviews, and what they do (reviews.integrity.standing has the rule).

Reports of N distinct accounts (REVIEW_REPORTS_TO_REQUEUE), or one urgent report (personal
data, abuse), put a published review back in the moderation queue; it stays public. A report
hides it at once only when it comes from a trusted flagger (urgent reasons), or when
INTEGRITY_REPORTERS_TO_HIDE independent reporters with standing have reported it; reports from
accounts without standing never hide anything. A review hidden by reports keeps counting in
the rating until a moderator confirms the hiding (`review_hide`): nobody can pull a review
out of a rating by reporting it. Each report also feeds surge detection. A reporter may
withdraw an open report; what it did is then recounted from the reports still open.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from reviews.exceptions import (
    CannotReportOwnReview,
    InputInvalid,
    ReportAlreadyExists,
    ReportNotFound,
    ReportNotOpen,
    ReviewNotPublished,
)
from reviews.integrity import surges
from reviews.integrity.standing import any_trusted_flagger, reporters_hide
from reviews.models import (
    URGENT_REPORT_REASONS,
    ModerationAction,
    Report,
    ReportReason,
    Review,
    ReviewStatus,
)
from reviews.ratings import published_documents_invalidate, rating_mark_stale
from reviews.services.authoring import author_check
from reviews.services.workflow import (
    event_record,
    open_reports,
    queue_enter,
    queue_settle,
    review_lock,
)


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
    if hide:  # it leaves the public list (and its author's published count)
        published_documents_invalidate(review.model_id, authors=[review.author_id])
    count = open_reports(review).count()
    event_record(
        review, actor_id=None,
        action=ModerationAction.AUTO_HIDE if hide else ModerationAction.REQUEUE,
        from_status=before, reason=report.reason, note=f"{count} open report(s).",
    )  # fmt: skip
    # No stale mark: a review hidden by reports still counts in the rating (see
    # ratings.summary.counted_reviews) until a moderator confirms the hiding.


def _hides(reports: list[Report], *, surge_open: bool) -> bool:
    """Whether these open reports hide the review at once: an urgent one of a trusted
    flagger, or (unless the model shows unusual activity, `surge_open`) enough independent
    reporters with standing."""
    urgent = [report.reporter_id for report in reports if report.reason in URGENT_REPORT_REASONS]
    if urgent and any_trusted_flagger(urgent):
        return True
    if surge_open:
        return False
    return reporters_hide([report.reporter_id for report in reports])


def _react(review: Review, report: Report, *, surge_open: bool) -> None:
    # One report per person per review (a constraint): open reports = distinct accounts.
    remaining = list(open_reports(review))
    if _hides(remaining, surge_open=surge_open):
        _flag(review, report, hide=True)
        return
    urgent = report.reason in URGENT_REPORT_REASONS
    enough = len(remaining) >= settings.REVIEW_REPORTS_TO_REQUEUE
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
    # Asked once for both: whether reports may hide it, and whether to look for a surge.
    surge_open = surges.surge_open_get(review.model_id) is not None
    _react(review, report, surge_open=surge_open)
    if not surge_open:
        surges.surge_detect(review.model_id, none_open=True)
    return report


@transaction.atomic
def report_erase_for_reporter(*, reporter_id: int) -> int:
    """Account erasure: blank the notes the person wrote in their reports. The reports stay
    (reason, state, dates), as they count toward what happened to the reviews reported.
    Returns how many notes were blanked."""
    return Report.objects.filter(reporter_id=reporter_id).exclude(note="").update(note="")


def _recount(review: Review) -> None:
    """After a report is withdrawn from the locked, flagged `review`: keep only what the
    reports still open would have done on their own (the rules of `_react`). An automatic
    hiding nobody else's report justifies is undone (published again, rating stale); a
    review no open report keeps in the queue leaves it, unless a text or edit waits."""
    remaining = list(open_reports(review))
    urgent = [report for report in remaining if report.reason in URGENT_REPORT_REASONS]
    hide = _hides(remaining, surge_open=surges.surge_open_get(review.model_id) is not None)
    enough = len(remaining) >= settings.REVIEW_REPORTS_TO_REQUEUE
    # Flagged and hidden means hidden automatically: a moderator's decision clears the flag.
    unhide = review.status == ReviewStatus.HIDDEN and not hide
    if unhide:
        review.status = ReviewStatus.PUBLISHED
    if not (hide or urgent or enough):
        review.flagged_at = None
        queue_settle(review)
    review.save()
    if unhide:
        event_record(
            review, actor_id=None, action=ModerationAction.RESTORE,
            from_status=ReviewStatus.HIDDEN, note="The report that hid it was withdrawn.",
        )  # fmt: skip
        rating_mark_stale(review.model_id, authors=[review.author_id])


@transaction.atomic
def report_withdraw(*, review: Review, reporter: User) -> None:
    """Withdraw the person's report of `review` while it is open (the row is deleted; they
    may report again). Its effect goes with it: see `_recount`. Raises ReportNotFound,
    ReportNotOpen (a moderator already decided on it)."""
    # The same lock as report_create: the recount sees every report that is still open.
    review = review_lock(review)
    report = Report.objects.filter(review=review, reporter=reporter).first()
    if report is None:
        raise ReportNotFound()
    if report.state != Report.State.OPEN:
        raise ReportNotOpen()
    report.delete()
    if review.flagged_at is not None:
        _recount(review)
