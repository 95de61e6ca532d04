"""The general throttles (config/throttles.py) on the test's own Redis: while it is stopped
or frozen they let requests through (fail open) within the request's Redis budget, and count
again once it is back."""

import time
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from rest_framework.test import APIClient

from accounts import services
from config.throttles import throttle_memory_clear
from tests.faults.conftest import RedisProcess

pytestmark = [pytest.mark.faults, pytest.mark.django_db]
PROVIDERS = "/api/v1/providers/"


def _one_a_minute() -> Any:
    rates = django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    return override_settings(
        REST_FRAMEWORK={
            **django_settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**rates, "anon": "1/min"},
        }
    )


def test_with_redis_stopped_the_throttles_let_requests_through(on_own_redis: RedisProcess):
    _, raw = services.api_key_create(name="partner", rate="1/min", created_by=None)
    client = APIClient()
    with _one_a_minute():
        # given the limit used up while Redis is up
        assert client.get(PROVIDERS).status_code == 200
        assert client.get(PROVIDERS).status_code == 429
        throttle_memory_clear()  # the refusal this process remembers is not what is tested

        # when Redis stops
        on_own_redis.stop()
        statuses = [client.get(PROVIDERS).status_code for _ in range(5)]
        keyed = [client.get(PROVIDERS, HTTP_X_API_KEY=raw).status_code for _ in range(3)]
    # then requests are served (fail open), the key's too
    assert statuses == [200] * 5
    assert keyed == [200] * 3


def test_with_redis_frozen_a_throttled_read_answers_within_the_budget(
    on_own_redis: RedisProcess,
):
    client = APIClient()
    with _one_a_minute():
        assert client.get(PROVIDERS).status_code == 200
        on_own_redis.freeze()
        try:
            started = time.monotonic()
            statuses = [client.get(PROVIDERS).status_code for _ in range(3)]
            elapsed = time.monotonic() - started
        finally:
            on_own_redis.thaw()
    assert statuses == [200, 200, 200]
    # one socket timeout (0.5 s) opens the circuit; the other requests skip Redis at once
    assert elapsed < 2.0
