"""Reports: POST /api/v1/reviews/{id}/reports/, requeueing, urgent hiding, reporter trust."""

import pytest
from django.conf import settings as django_settings

from reviews.exceptions import ReportAlreadyExists
from reviews.models import ModelRatingState, ModerationEvent, Report, Review
from reviews.selectors import reporter_can_auto_hide
from reviews.services import report_create, review_hide, review_restore, review_verify
from tests.conftest import make_user, token_client
from tests.factories import ReportFactory, ReviewFactory
from tests.reviews.conftest import review_url

pytestmark = pytest.mark.django_db


def _report(review, reason="spam", reporter=None):
    return report_create(review=review, reporter=reporter or make_user(), reason=reason)


def _fresh(review) -> Review:
    return Review.objects.get(pk=review.pk)


def test_report_once_per_person(published_review, other_verified):
    url = review_url(published_review.public_id, "reports/")
    first = other_verified.client.post(url, {"reason": "spam", "note": "Ad."}, format="json")
    assert first.status_code == 201
    assert first.json()["state"] == "open"
    again = other_verified.client.post(url, {"reason": "off_topic"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "report_exists")
    with pytest.raises(ReportAlreadyExists):
        _report(published_review, reporter=other_verified.user)


def test_report_needs_a_reason_from_the_list(published_review, other_verified):
    url = review_url(published_review.public_id, "reports/")
    response = other_verified.client.post(url, {"reason": "boring"}, format="json")
    assert (response.status_code, list(response.json()["fields"])) == (400, ["reason"])


def test_no_report_of_your_own_review(published_review, author):
    url = review_url(published_review.public_id, "reports/")
    response = token_client(author).post(url, {"reason": "spam"}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "cannot_report_own_review")


def test_reports_from_n_accounts_requeue_the_review_which_stays_public(published_review, settings):
    settings.REVIEW_REPORTS_TO_REQUEUE = 3
    _report(published_review)
    _report(published_review, "off_topic")
    assert _fresh(published_review).queued_at is None

    _report(published_review)

    review = _fresh(published_review)
    assert (review.status, review.queued_at is not None) == ("published", True)
    event = ModerationEvent.objects.get(review=review, action="requeue")
    assert (event.actor, event.from_status, event.to_status) == (None, "published", "published")
    # a fourth report does not requeue it twice
    _report(published_review)
    assert ModerationEvent.objects.filter(review=review, action="requeue").count() == 1


@pytest.mark.parametrize("reason", ["personal_data", "abusive"])
def test_urgent_report_hides_at_once_until_a_moderator_decides(
    published_review, reason, moderator, anonymous
):
    # when one urgent report arrives
    _report(published_review, reason)

    # then the review is hidden at once by the system, queued, and its rating is stale
    review = _fresh(published_review)
    assert (review.status, review.queued_at is not None) == ("hidden", True)
    event = ModerationEvent.objects.get(review=review, action="auto_hide")
    assert (event.actor, event.reason, event.from_status) == (None, reason, "published")
    assert anonymous.client.get(review_url(review.public_id)).status_code == 404
    assert ModelRatingState.objects.get(model=review.model).stale

    # when a moderator restores it, the report is dismissed and it is public again
    review_restore(review=review, moderator=moderator.user)
    review = _fresh(review)
    assert (review.status, review.queued_at) == ("published", None)
    assert Report.objects.get(review=review).state == "dismissed"


def test_moderator_confirming_an_automatic_hide_upholds_the_reports(published_review, moderator):
    _report(published_review, "personal_data")
    review = review_hide(review=published_review, moderator=moderator.user, reason="personal_data")
    assert (review.status, review.queued_at) == ("hidden", None)
    assert Report.objects.get(review=review).state == "upheld"


def test_verify_of_a_requeued_review_dismisses_its_reports(published_review, moderator, settings):
    settings.REVIEW_REPORTS_TO_REQUEUE = 2
    _report(published_review)
    _report(published_review)
    review = review_verify(review=published_review, moderator=moderator.user)
    assert (review.status, review.queued_at, review.flagged_at) == ("published", None, None)
    assert set(Report.objects.values_list("state", flat=True)) == {"dismissed"}


def test_reporters_whose_reports_keep_being_dismissed_lose_the_power_to_auto_hide(
    published_review, settings
):
    settings.REVIEW_REPORTER_MIN_DISMISSED = 3
    settings.REVIEW_REPORTER_DISMISSED_SHARE = 0.8
    reporter = make_user()
    # given three dismissed reports (and none upheld) by one person
    for _ in range(3):
        ReportFactory(reporter=reporter, state="dismissed")
    assert not reporter_can_auto_hide(reporter)

    # when they file an urgent report
    _report(published_review, "abusive", reporter=reporter)

    # then the review stays public, but it is in the queue at once
    review = _fresh(published_review)
    assert (review.status, review.queued_at is not None) == ("published", True)
    assert not ModerationEvent.objects.filter(review=review, action="auto_hide").exists()


def test_reporter_trust_counts_the_share_of_dismissed_reports(settings):
    settings.REVIEW_REPORTER_MIN_DISMISSED = 3
    settings.REVIEW_REPORTER_DISMISSED_SHARE = 0.8
    reporter = make_user()
    for state in ["dismissed"] * 3 + ["upheld"]:  # 3 of 4 = 0.75 dismissed
        ReportFactory(reporter=reporter, state=state)
    assert reporter_can_auto_hide(reporter)
    ReportFactory(reporter=reporter, state="dismissed")  # 4 of 5 = 0.8
    assert not reporter_can_auto_hide(reporter)


def test_reporting_is_throttled_per_account(ai_model, settings):
    rates = {**django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "review_report": "2/day"}
    settings.REST_FRAMEWORK = {**django_settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = token_client(make_user())
    statuses = [
        client.post(
            review_url(ReviewFactory(published=True).public_id, "reports/"),
            {"reason": "spam"},
            format="json",
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [201, 201, 429]
