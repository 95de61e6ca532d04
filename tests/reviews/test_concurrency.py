"""Races on real PostgreSQL: threads, each with its own connection and client."""

import threading
from collections import Counter

import pytest
from django.conf import settings as django_settings
from django.db import connection
from rest_framework.test import APIClient

from reviews.models import ModerationEvent, Review, ReviewRevision
from tests.conftest import make_user, token_client
from tests.factories import AIModelFactory
from tests.reviews.conftest import review_payload, reviews_url

THREADS = 20


def _in_threads(count: int, work) -> list:
    """Run `work()` in `count` threads released together; each closes its DB connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_first_reviews_leave_one_review_and_no_500(settings):
    # given one verified account, one model, and no daily limit in the way
    rates = {**django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "review_create": None}
    settings.REST_FRAMEWORK = {**django_settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    user = make_user()
    model = AIModelFactory()
    token = token_client(user)._credentials["HTTP_X_SESSION_TOKEN"]

    def post() -> tuple[int, str]:
        # Each thread its own client (and so its own DB connection), one account's token.
        client = APIClient()
        client.credentials(HTTP_X_SESSION_TOKEN=token)
        response = client.post(reviews_url(model), review_payload(), format="json")
        return response.status_code, response.json().get("code", "")

    # when 20 threads POST a first review at the same moment
    results = _in_threads(THREADS, post)

    # then exactly one was created and every other got 409 review_exists
    assert all(isinstance(result, tuple) for result in results), results
    assert Counter(results) == {(201, ""): 1, (409, "review_exists"): THREADS - 1}
    assert Review.objects.filter(author=user, model=model).count() == 1
    assert ReviewRevision.objects.count() == 1
    assert ModerationEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_posts_cannot_beat_the_daily_review_limit(settings):
    # given an account allowed 3 reviews a day, and twelve models to review
    rates = {**django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "review_create": "3/day"}
    settings.REST_FRAMEWORK = {**django_settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    user = make_user()
    models = [AIModelFactory() for _ in range(12)]
    token = token_client(user)._credentials["HTTP_X_SESSION_TOKEN"]
    remaining = iter(models)
    lock = threading.Lock()

    def post() -> tuple[int, bool]:
        with lock:
            model = next(remaining)
        client = APIClient()
        client.credentials(HTTP_X_SESSION_TOKEN=token)
        response = client.post(reviews_url(model), review_payload(), format="json")
        return response.status_code, response.status_code != 429 or "Retry-After" in response

    # when twelve POSTs arrive at the same moment
    results = _in_threads(12, post)

    # then exactly three pass (the counter is atomic), the rest are 429 with a Retry-After
    assert Counter(results) == {(201, True): 3, (429, True): 9}, results
    assert Review.objects.filter(author=user).count() == 3
