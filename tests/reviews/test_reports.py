"""Reports: POST /api/v1/reviews/{id}/reports/, requeueing, reporter standing, trusted flaggers
and hiding that never moves a rating before a moderator confirms it (issue 13)."""

import datetime as dt
import itertools
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from reviews.exceptions import ReportAlreadyExists
from reviews.integrity.standing import (
    is_trusted_flagger,
    reporter_standing_get,
    trusted_flagger_grant,
)
from reviews.models import ModelRating, ModelRatingState, ModerationEvent, Report, Review
from reviews.ratings import rating_recompute
from reviews.services import report_create, review_hide, review_restore, review_verify
from tests.conftest import make_user, token_client
from tests.factories import AIModelFactory, ReportFactory, ReviewFactory
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


def _counted(review) -> int:
    """The model's counted reviews, as a recompute stores them."""
    rating_recompute(review.model_id)
    return ModelRating.objects.get(model_id=review.model_id).review_count


_AGES = itertools.count(60, 3)


def _with_standing(*, days: int | None = None):
    """An account old enough, with a published review of another model; each created days
    apart from the others (independent) unless `days` says when."""
    joined = timezone.now() - dt.timedelta(days=days or next(_AGES))
    user = make_user(date_joined=joined)
    ReviewFactory(author=user, published=True)
    return user


def _trusted_flagger():
    user = make_user()
    trusted_flagger_grant(user=user)
    return user


@pytest.mark.parametrize("reason", ["personal_data", "abusive"])
def test_urgent_report_from_a_new_account_queues_but_never_hides_or_uncounts(
    published_review, reason
):
    # given a published, counted review
    assert _counted(published_review) == 1

    # when a brand-new account files an urgent report
    _report(published_review, reason)

    # then the review is queued for a moderator, stays public and keeps counting
    review = _fresh(published_review)
    assert (review.status, review.queued_at is not None) == ("published", True)
    assert not ModerationEvent.objects.filter(review=review, action="auto_hide").exists()
    assert ModerationEvent.objects.get(review=review, action="requeue").actor is None
    assert _counted(review) == 1


@pytest.mark.parametrize("reason", ["personal_data", "abusive"])
def test_trusted_flagger_hides_at_once_but_the_review_counts_until_a_moderator_confirms(
    published_review, reason, moderator, anonymous
):
    # when a trusted flagger files an urgent report
    _report(published_review, reason, reporter=_trusted_flagger())

    # then the review is hidden at once by the system and queued, yet still counted
    review = _fresh(published_review)
    assert (review.status, review.queued_at is not None) == ("hidden", True)
    event = ModerationEvent.objects.get(review=review, action="auto_hide")
    assert (event.actor, event.reason, event.from_status) == (None, reason, "published")
    assert anonymous.client.get(review_url(review.public_id)).status_code == 404
    assert _counted(review) == 1

    # when a moderator confirms the hiding, it leaves the rating
    review_hide(review=review, moderator=moderator.user, reason=reason)
    assert ModelRatingState.objects.get(model=review.model).stale
    assert _counted(review) == 0
    assert Report.objects.get(review=review).state == "upheld"


def test_restoring_an_automatically_hidden_review_dismisses_the_report(published_review, moderator):
    _report(published_review, "abusive", reporter=_trusted_flagger())
    review = review_restore(review=published_review, moderator=moderator.user)
    assert (review.status, review.queued_at) == ("published", None)
    assert Report.objects.get(review=review).state == "dismissed"
    assert _counted(review) == 1


def test_reports_of_several_reporters_with_standing_hide_at_once(published_review, settings):
    settings.INTEGRITY_REPORTERS_TO_HIDE = 3
    settings.REVIEW_REPORTS_TO_REQUEUE = 10
    _report(published_review, "spam", reporter=_with_standing())
    _report(published_review, "spam", reporter=_with_standing())
    _report(published_review, "spam", reporter=make_user())  # no standing: does not add up
    assert _fresh(published_review).status == "published"

    _report(published_review, "off_topic", reporter=_with_standing())

    review = _fresh(published_review)
    assert review.status == "hidden"
    assert _counted(review) == 1  # until a moderator confirms


def test_aged_accounts_created_together_count_as_one_reporter(published_review, settings):
    settings.INTEGRITY_REPORTERS_TO_HIDE = 2
    # two accounts with standing, created the same day (a batch): one voice
    _report(published_review, "spam", reporter=_with_standing(days=90))
    _report(published_review, "spam", reporter=_with_standing(days=90))
    assert _fresh(published_review).status == "published"
    # an independent one makes two
    _report(published_review, "spam", reporter=_with_standing(days=200))
    assert _fresh(published_review).status == "hidden"


def test_standing_needs_age_and_a_published_review_or_an_upheld_report(settings):
    settings.INTEGRITY_STANDING_MIN_ACCOUNT_DAYS = 30
    old = timezone.now() - dt.timedelta(days=60)
    assert not reporter_standing_get(make_user()).has_standing  # new, nothing published
    assert not reporter_standing_get(make_user(date_joined=old)).has_standing  # old, nothing
    assert reporter_standing_get(_with_standing()).has_standing
    young = make_user()
    ReviewFactory(author=young, published=True)
    assert not reporter_standing_get(young).has_standing  # published, but too young
    upheld = make_user(date_joined=old)
    ReportFactory(reporter=upheld, state="upheld")
    assert reporter_standing_get(upheld).has_standing  # an upheld report raises standing


def test_dismissed_report_lowers_standing_and_then_reports_stop_counting_toward_hiding(
    create_review, publish, moderator, settings
):
    settings.INTEGRITY_REPORTERS_TO_HIDE = 2
    settings.REVIEW_REPORTS_TO_REQUEUE = 10
    reporter = _with_standing()
    assert reporter_standing_get(reporter).has_standing
    first = publish(create_review(make_user()))
    _report(first, "abusive", reporter=reporter)  # urgent: queued at once

    # when a moderator keeps the review, dismissing the report
    review_verify(review=_fresh(first), moderator=moderator.user)

    # then the reporter has lost standing ...
    standing = reporter_standing_get(reporter)
    assert (standing.dismissed_reports, standing.has_standing) == (1, False)
    # ... and with one other reporter with standing, their reports no longer hide a review
    second = publish(create_review(make_user(), model=AIModelFactory()))
    _report(second, "spam", reporter=reporter)
    _report(second, "spam", reporter=_with_standing())
    assert _fresh(second).status == "published"


def test_grant_trusted_flagger_command(verified):
    def run(command: str) -> str:
        out = StringIO()
        call_command(command, verified.user.email, stdout=out)
        return out.getvalue()

    assert "is now a trusted flagger." in run("grant_trusted_flagger")
    assert is_trusted_flagger(User.objects.get(pk=verified.user.pk))
    assert "was a trusted flagger already; no change." in run("grant_trusted_flagger")
    assert "is no longer a trusted flagger." in run("revoke_trusted_flagger")
    assert not is_trusted_flagger(User.objects.get(pk=verified.user.pk))
    assert "was not a trusted flagger; nothing changed." in run("revoke_trusted_flagger")
    with pytest.raises(CommandError, match="No active account"):
        call_command("grant_trusted_flagger", "nobody@example.org")


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
