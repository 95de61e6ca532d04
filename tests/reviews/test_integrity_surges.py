"""Surges (issue 13): per-model detection against the model's own baseline, the public
notice, reviews held out of the rating, and the moderators' batch release or rejection."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.services import moderator_grant
from reviews.exceptions import SurgeNotFound
from reviews.integrity.surges import surge_checks, surge_release
from reviews.models import ModelRating, ModelSurge, Review, SurgeKind
from reviews.ratings import rating_recompute
from reviews.services import ReviewDraft, report_create, review_create, review_verify
from tests import broker
from tests.accounts.conftest import wait_for
from tests.conftest import make_user, token_client
from tests.factories import AIModelFactory, ReviewFactory
from tests.reviews.conftest import BODY, moderation_url

pytestmark = pytest.mark.django_db
SURGES = "/api/v1/moderation/surges/"


@pytest.fixture(autouse=True)
def _floors(settings):
    settings.INTEGRITY_SURGE_WINDOW_SECONDS = 3600
    settings.INTEGRITY_SURGE_BASELINE_DAYS = 30
    settings.INTEGRITY_SURGE_MULTIPLIER = 5
    settings.INTEGRITY_SURGE_MIN_REVIEWS = 5
    settings.INTEGRITY_SURGE_MIN_NEW_ACCOUNT_REVIEWS = 1000
    settings.INTEGRITY_SURGE_MIN_REPORTS = 5


def _baseline(model, n: int, *, days_ago: float = 10) -> list[Review]:
    """`n` published reviews written `days_ago` (inside the baseline period)."""
    reviews = ReviewFactory.create_batch(n, model=model, published=True)
    past = timezone.now() - dt.timedelta(days=days_ago)
    Review.objects.filter(pk__in=[r.pk for r in reviews]).update(created_at=past)
    return reviews


def _recompute(model, capture) -> ModelRating:
    # Runs the on-commit refresh of the cached rating body too.
    with capture(execute=True):
        rating_recompute(model.pk)
    return ModelRating.objects.get(model=model)


def _wave(create_review, publish, n: int) -> list[Review]:
    return [publish(create_review(make_user(), rating=1)) for _ in range(n)]


def test_a_wave_of_reviews_opens_a_surge_holds_them_and_shows_the_notice(
    ai_model, create_review, publish, anonymous, django_capture_on_commit_callbacks
):
    # given a model with a quiet baseline, its rating computed and served from the cache
    _baseline(ai_model, 4)
    assert _recompute(ai_model, django_capture_on_commit_callbacks).review_count == 4
    url = f"/api/v1/models/{ai_model.slug}/rating/"
    assert anonymous.client.get(url).json()["unusual_activity"] is None

    # when five new reviews arrive within the hour (the floor), each verified
    wave = _wave(create_review, publish, 5)

    # then one review surge is open, every review of the wave is in it and held
    surge = ModelSurge.objects.get(model=ai_model)
    assert (surge.kind, surge.state) == ("review_surge", "open")
    assert set(surge.members.values_list("pk", flat=True)) == {r.pk for r in wave}
    assert all(Review.objects.get(pk=r.pk).rating_held for r in wave)
    # shown publicly, but not counted; the rating endpoint (its cached body) has the notice
    listed = anonymous.client.get(f"/api/v1/models/{ai_model.slug}/reviews/").json()
    assert len(listed["results"]) == 9
    rating = _recompute(ai_model, django_capture_on_commit_callbacks)
    assert (rating.review_count, rating.average) == (4, 4.0)
    notice = anonymous.client.get(url).json()["unusual_activity"]
    assert notice["kind"] == "review_surge"
    assert notice["since"].startswith(str(surge.since.date()))
    page = anonymous.client.get(f"/api/v1/models/{ai_model.slug}/").json()
    assert page["rating"]["unusual_activity"]["kind"] == "review_surge"

    # when a later review arrives during the surge, it joins it
    late = publish(create_review(make_user(), rating=1))
    assert (late.surge_id, Review.objects.get(pk=late.pk).rating_held) == (surge.pk, True)


def test_a_model_busy_as_usual_opens_no_surge(ai_model, create_review, publish, settings):
    # given a baseline of 1,800 reviews in the last 30 days (2.5 an hour: the bar is 12.5)
    _baseline(ai_model, 1800)
    # when ten arrive within the hour
    _wave(create_review, publish, 10)
    # then that is not 5x the usual rate
    assert not ModelSurge.objects.exists()
    checks = {c.name: c for c in surge_checks(ai_model.pk, now=timezone.now())}
    assert (checks["reviews"].recent, checks["reviews"].threshold) == (10, 12.5)


def test_the_baselines_are_counted_only_once_the_window_reaches_a_floor(
    ai_model, create_review, settings
):
    # given a model with a month of history and fewer new reviews this hour than the floor (5)
    settings.INTEGRITY_SURGE_MULTIPLIER = 10**6  # no surge opens: detection runs every time
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reviews.integrity.surges import surge_detect

    _baseline(ai_model, 3)
    for _ in range(4):
        create_review(make_user())

    def baselines_read() -> bool:
        with CaptureQueriesContext(connection) as queries:
            surge_detect(ai_model.pk)
        return any('"baseline"' in query["sql"] for query in queries.captured_queries)

    # then detection reads the window only; at the floor it reads the 30 days too
    assert not baselines_read()
    create_review(make_user())
    assert baselines_read()


def test_new_account_reviews_have_their_own_bar(ai_model, create_review, settings):
    settings.INTEGRITY_SURGE_MIN_REVIEWS = 1000
    settings.INTEGRITY_SURGE_MIN_NEW_ACCOUNT_REVIEWS = 3
    old = timezone.now() - dt.timedelta(days=400)
    for _ in range(3):
        create_review(make_user(date_joined=old))
    assert not ModelSurge.objects.exists()
    for _ in range(3):
        create_review(make_user())
    assert ModelSurge.objects.get(model=ai_model).kind == "review_surge"


def test_moderator_releases_the_batch_and_it_counts(
    ai_model, create_review, publish, moderator, django_capture_on_commit_callbacks
):
    _baseline(ai_model, 4)
    wave = _wave(create_review, publish, 5)
    surge = ModelSurge.objects.get()

    # the queue filtered to the surge shows its members together, with the surge's id
    queue = moderator.client.get(f"/api/v1/moderation/queue/?surge={surge.pk}").json()
    assert [item["id"] for item in queue["results"]] == [str(r.public_id) for r in wave]
    assert {(item["surge"], item["rating_held"]) for item in queue["results"]} == {(surge.pk, True)}
    listed = moderator.client.get(f"{SURGES}?state=open").json()["results"]
    assert [(s["id"], s["member_count"], s["kind"]) for s in listed] == [
        (surge.pk, 5, "review_surge")
    ]

    # when a moderator releases it
    response = moderator.client.post(f"{SURGES}{surge.pk}/release/", {}, format="json")

    # then it is closed, its reviews count, and the notice is gone
    assert (response.status_code, response.json()["state"]) == (200, "released")
    assert not Review.objects.filter(rating_held=True).exists()
    rating = _recompute(ai_model, django_capture_on_commit_callbacks)
    assert (rating.review_count, rating.unusual_activity) == (9, None)
    again = moderator.client.post(f"{SURGES}{surge.pk}/release/", {}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


def test_moderator_rejects_the_batch(
    ai_model, create_review, publish, moderator, django_capture_on_commit_callbacks
):
    _baseline(ai_model, 4)
    wave = _wave(create_review, publish, 4)
    pending = create_review(make_user(), rating=1)
    surge = ModelSurge.objects.get()

    response = moderator.client.post(
        f"{SURGES}{surge.pk}/reject/", {"reason": "spam", "note": "A campaign."}, format="json"
    )

    assert (response.status_code, response.json()["state"]) == (200, "rejected")
    statuses = dict(Review.objects.filter(surge=surge).values_list("pk", "status"))
    assert statuses == {**{r.pk: "hidden" for r in wave}, pending.pk: "rejected"}
    rating = _recompute(ai_model, django_capture_on_commit_callbacks)
    assert (rating.review_count, rating.unusual_activity) == (4, None)


def test_surge_actions_need_a_moderator(ai_model, create_review, verified, author):
    for _ in range(5):
        create_review(make_user())
    surge = ModelSurge.objects.get()
    assert verified.client.get(SURGES).status_code == 403
    response = verified.client.post(f"{SURGES}{surge.pk}/release/", {}, format="json")
    assert response.status_code == 403
    missing = make_user()
    moderator_grant(user=missing)
    with pytest.raises(SurgeNotFound):
        surge_release(surge_id=surge.pk + 1000, moderator=missing)


def test_a_wave_of_reports_opens_a_report_surge_and_suspends_hiding_by_standing(ai_model, settings):
    settings.INTEGRITY_REPORTERS_TO_HIDE = 1
    reviews = _baseline(ai_model, 6, days_ago=40)  # written before the baseline period
    old = timezone.now() - dt.timedelta(days=90)
    # five reports of new accounts within the hour: a report surge
    for review in reviews[:5]:
        report_create(review=review, reporter=make_user(), reason="spam")
    surge = ModelSurge.objects.get(model=ai_model)
    assert surge.kind == SurgeKind.REPORT_SURGE
    # during it, even a reporter with standing does not hide a review by themselves
    reporter = make_user(date_joined=old)
    ReviewFactory(author=reporter, published=True)
    report_create(review=reviews[5], reporter=reporter, reason="spam")
    assert Review.objects.get(pk=reviews[5].pk).status == "published"


def test_moderation_action_answer_carries_the_surge(ai_model, create_review, moderator):
    for _ in range(5):
        review = create_review(make_user())
    response = moderator.client.post(moderation_url(review.public_id, "verify"), {}, format="json")
    assert response.json()["surge"] == ModelSurge.objects.get().pk


def test_methodology_explains_standing_surges_and_flags(anonymous):
    body = anonymous.client.get("/api/v1/ratings/methodology/").json()
    integrity = body["integrity"]
    assert set(integrity) == {
        "reporter_standing", "hidden_by_reports", "surges", "flags", "reviewer_facts",
        "parameters",
    }  # fmt: skip
    assert integrity["parameters"]["surge_multiplier"] == 5
    assert integrity["parameters"]["similarity_threshold"] == 0.6
    assert "trusted flagger" in integrity["reporter_standing"]
    assert "held by an open surge" in body["formulas"]["counted"]


@pytest.fixture
def ratings_worker():
    """A worker consuming the ratings queue on the real broker (stale messages dropped)."""
    broker.purge("ratings")
    with broker.in_process_worker(["ratings"]):
        yield


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_with_a_real_worker_the_notice_shows_and_the_rating_stands(ratings_worker):
    # given a model of 4 reviews whose rating the worker keeps (real broker and worker)
    model = AIModelFactory()
    moderator = make_user()
    moderator_grant(user=moderator)
    _baseline(model, 4)
    client = token_client(moderator)
    url = f"/api/v1/models/{model.slug}/rating/"
    rating_recompute(model.pk)

    # when five one-star reviews arrive and a moderator verifies each
    for _ in range(5):
        draft = ReviewDraft(rating=1, title="Bad", body=BODY)
        review = review_create(author=make_user(), model=model, draft=draft)
        review_verify(review=review, moderator=moderator)

    # then the rating endpoint (its cached body) shows the notice and still counts the 4
    # (once the coalesced recomputes settle: one may run between the fourth and fifth verify,
    # before the surge is seen, as the thread pool on RabbitMQ does)
    def noticed() -> bool:
        body = client.get(url).json()
        return body["unusual_activity"] is not None and body["review_count"] == 4

    wait_for(noticed, timeout=15)
    body = client.get(url).json()
    assert (body["review_count"], body["unusual_activity"]["kind"]) == (4, "review_surge")


def test_moderators_release_a_surge_in_the_admin(ai_model, create_review):
    from django.test import Client

    for _ in range(5):
        create_review(make_user())
    surge = ModelSurge.objects.get()
    moderator = make_user()
    moderator_grant(user=moderator)
    client = Client()
    client.force_login(moderator)
    assert client.get("/admin/reviews/modelsurge/").status_code == 200
    response = client.post(
        "/admin/reviews/modelsurge/",
        {"action": "release", "_selected_action": [surge.pk], "note": "Launch day."},
    )
    assert response.status_code == 302
    surge.refresh_from_db()
    assert (surge.state, surge.note, surge.resolved_by_id) == (
        "released",
        "Launch day.",
        moderator.pk,
    )
