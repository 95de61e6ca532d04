"""The reader's own reports: listed, read, and withdrawn while open, with their effect
recounted from the reports still open (issue 15, item 6)."""

import pytest

from reviews.exceptions import ReportNotOpen
from reviews.integrity.standing import trusted_flagger_grant
from reviews.models import ModelRatingState, ModerationEvent, Report, Review
from reviews.services import report_create, report_withdraw, review_hide
from tests.conftest import make_user, token_client
from tests.factories import ReportFactory, ReviewFactory
from tests.references import ref_of
from tests.reviews.conftest import review_url

pytestmark = pytest.mark.django_db


def _fresh(review) -> Review:
    return Review.objects.get(pk=review.pk)


def _trusted_flagger():
    user = make_user()
    trusted_flagger_grant(user=user)
    return user


def _mine(review) -> str:
    return f"/api/v1/me/reports/{review.public_id}/"


def test_my_reports_lists_only_mine_newest_first(verified):
    first, second = ReportFactory(reporter=verified.user), ReportFactory(reporter=verified.user)
    ReportFactory()  # someone else's
    body = verified.client.get("/api/v1/me/reports/").json()
    assert body["count"] == 2
    assert [row["review"] for row in body["results"]] == [
        str(second.review.public_id), str(first.review.public_id),
    ]  # fmt: skip
    assert body["results"][0]["withdrawable"] is True
    assert body["results"][0]["model"] == ref_of(second.review.model)
    review_id = second.review.public_id
    assert body["results"][0]["url"] == f"http://testserver/api/v1/me/reports/{review_id}/"
    assert body["results"][0]["review_url"] == f"http://testserver/api/v1/reviews/{review_id}/"


def test_my_reports_list_query_count_is_constant(verified, django_assert_num_queries):
    for _ in range(5):
        ReportFactory(reporter=verified.user)
    # the user (the session comes from the cache), the count, the page with reviews and models
    with django_assert_num_queries(3):
        response = verified.client.get("/api/v1/me/reports/?page_size=5")
    assert len(response.json()["results"]) == 5


def test_my_reports_need_a_session(anonymous):
    assert anonymous.client.get("/api/v1/me/reports/").status_code == 401


def test_withdrawing_an_open_report_deletes_it_and_allows_a_new_one(published_review, verified):
    report_url = review_url(published_review.public_id, "reports/")
    verified.client.post(report_url, {"reason": "spam"}, format="json")

    response = verified.client.delete(_mine(published_review))

    assert response.status_code == 204
    assert not Report.objects.filter(reporter=verified.user).exists()
    viewer = verified.client.get(review_url(published_review.public_id)).json()["viewer"]
    assert viewer["reported"] is False
    again = verified.client.post(report_url, {"reason": "off_topic"}, format="json")
    assert again.status_code == 201


def test_no_report_is_404_and_a_decided_one_is_409(published_review, verified, moderator):
    missing = verified.client.delete(_mine(published_review))
    assert (missing.status_code, missing.json()["code"]) == (404, "report_not_found")
    assert verified.client.get(_mine(published_review)).status_code == 404
    # someone else's report of the same review is not mine to withdraw
    ReportFactory(review=published_review)
    assert verified.client.delete(_mine(published_review)).status_code == 404

    ReportFactory(review=published_review, reporter=verified.user, state="dismissed")
    decided = verified.client.delete(_mine(published_review))
    assert (decided.status_code, decided.json()["code"]) == (409, "report_not_open")
    assert verified.client.get(_mine(published_review)).json()["withdrawable"] is False
    with pytest.raises(ReportNotOpen):
        report_withdraw(review=published_review, reporter=verified.user)


def test_withdrawing_the_urgent_report_that_hid_a_review_publishes_it_again(
    published_review, anonymous
):
    # given a review hidden at once by a trusted flagger's urgent report
    reporter = _trusted_flagger()
    report_create(review=published_review, reporter=reporter, reason="personal_data")
    assert _fresh(published_review).status == "hidden"
    ModelRatingState.objects.filter(model=published_review.model).update(stale=False)

    # when its reporter withdraws it
    response = token_client(reporter).delete(_mine(published_review))

    # then the review is public again, out of the queue, and its rating is stale again
    assert response.status_code == 204
    review = _fresh(published_review)
    assert (review.status, review.flagged_at, review.queued_at) == ("published", None, None)
    assert anonymous.client.get(review_url(review.public_id)).status_code == 200
    event = ModerationEvent.objects.filter(review=review).latest("created_at")
    assert (event.action, event.actor, event.from_status) == ("restore", None, "hidden")
    assert ModelRatingState.objects.get(model=review.model).stale


def test_a_hide_another_urgent_report_justifies_stays(published_review):
    first, second = _trusted_flagger(), _trusted_flagger()
    report_create(review=published_review, reporter=first, reason="abusive")
    # a hidden review takes no new report: a second urgent one open alongside, made directly
    ReportFactory(review=published_review, reporter=second, reason="personal_data")

    report_withdraw(review=published_review, reporter=first)

    review = _fresh(published_review)
    assert (review.status, review.flagged_at is not None) == ("hidden", True)


def test_withdrawing_below_the_requeue_threshold_takes_the_review_out_of_the_queue(
    published_review, settings
):
    settings.REVIEW_REPORTS_TO_REQUEUE = 2
    reporters = [make_user(), make_user()]
    for reporter in reporters:
        report_create(review=published_review, reporter=reporter, reason="spam")
    assert _fresh(published_review).queued_at is not None

    report_withdraw(review=published_review, reporter=reporters[0])

    review = _fresh(published_review)
    assert (review.status, review.flagged_at, review.queued_at) == ("published", None, None)
    assert Report.objects.get(review=review).state == "open"  # the other one still counts


def test_withdrawing_keeps_the_review_queued_for_an_edit_waiting(
    published_review, settings, author
):
    from reviews.services import review_update

    settings.REVIEW_REPORTS_TO_REQUEUE = 1
    reporter = make_user()
    report_create(review=published_review, reporter=reporter, reason="spam")
    review_update(review=published_review, author=author, changes={"title": "Better title"})

    report_withdraw(review=published_review, reporter=reporter)

    review = _fresh(published_review)
    assert (review.flagged_at, review.queued_at is not None) == (None, True)
    assert review.has_pending_edit


def test_withdrawal_after_a_moderator_decided_is_refused(published_review, moderator):
    reporter = make_user()
    report_create(review=published_review, reporter=reporter, reason="spam")
    review_hide(review=published_review, moderator=moderator.user, reason="spam")
    response = token_client(reporter).delete(_mine(published_review))
    assert (response.status_code, response.json()["code"]) == (409, "report_not_open")


def test_reports_of_a_review_a_reader_cannot_see_stay_listed(verified):
    hidden = ReviewFactory(status="hidden")
    ReportFactory(review=hidden, reporter=verified.user)
    body = verified.client.get(_mine(hidden)).json()
    assert body["review"] == str(hidden.public_id)
