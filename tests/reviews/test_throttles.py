"""Account write limits: rolling windows, and only successful writes count."""

import time
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings

from tests.conftest import make_user, token_client
from tests.factories import AIModelFactory
from tests.reviews.conftest import review_payload, reviews_url

pytestmark = pytest.mark.django_db


def _rates(settings, **rates: str) -> None:
    merged = {**django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates}
    settings.REST_FRAMEWORK = {**django_settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": merged}


def test_refused_review_posts_do_not_count_against_the_daily_limit(settings, ai_model):
    # given a limit of 2 reviews a day
    _rates(settings, review_create="2/day")
    client = token_client(make_user())
    # when three posts are refused for their content, and a 404 on top
    for bad in ({"stars": 9}, {"title": ""}, {"body": "short"}):
        assert (
            client.post(reviews_url(ai_model), review_payload(**bad), format="json").status_code
            == 400
        )
    assert (
        client.post("/api/v1/models/no/such/reviews/", review_payload(), format="json").status_code
        == 404
    )
    # then two good reviews still go through, and the third is refused
    others = [AIModelFactory(), AIModelFactory()]
    statuses = [
        client.post(reviews_url(model), review_payload(), format="json").status_code
        for model in [ai_model, *others]
    ]
    assert statuses == [201, 201, 429]


def test_a_conflict_does_not_count_either(settings, ai_model):
    _rates(settings, review_create="2/day")
    client = token_client(make_user())
    assert client.post(reviews_url(ai_model), review_payload(), format="json").status_code == 201
    again = client.post(reviews_url(ai_model), review_payload(), format="json")
    assert again.status_code == 409
    other = client.post(reviews_url(AIModelFactory()), review_payload(), format="json")
    assert other.status_code == 201


def test_limits_are_rolling_windows_not_calendar_ones(settings, ai_model, monkeypatch):
    # given a limit of 2 a minute, and a clock the test moves (the throttle's only)
    _rates(settings, review_create="2/min")
    clock = [60 * (time.time() // 60) + 59.5]  # half a second before a calendar minute ends
    monkeypatch.setattr("reviews.api.throttles.time", SimpleNamespace(time=lambda: clock[0]))
    client = token_client(make_user())
    models = [ai_model, *(AIModelFactory() for _ in range(3))]

    def post(model: object) -> object:
        return client.post(reviews_url(model), review_payload(), format="json")

    # when two pass just before the minute turns
    assert [post(models[0]).status_code, post(models[1]).status_code] == [201, 201]
    # then one second later, in the next calendar minute, the third is still refused
    clock[0] += 1
    refused = post(models[2])
    assert refused.status_code == 429
    assert 58 <= int(refused["Retry-After"]) <= 60
    # and a minute after the first two, a slot is free again
    clock[0] += 59.1
    assert post(models[2]).status_code == 201
