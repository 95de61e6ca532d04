"""Load shedding (config/load_shedding.py): a request that waited too long for a worker, by
the proxy's X-Request-Start, is answered 503 `overloaded` with Retry-After before any work."""

import time

import pytest

from config.load_shedding import request_start

pytestmark = pytest.mark.django_db


def _started(seconds_ago: float) -> str:
    return f"t={time.time() - seconds_ago:.3f}"  # nginx: "t=${msec}"


def test_a_request_that_waited_too_long_is_shed_with_retry_after(client, settings):
    # given the limit is 2 s
    settings.LOAD_SHED_MAX_QUEUE_SECONDS = 2.0
    settings.LOAD_SHED_RETRY_AFTER_SECONDS = 3
    # when a read and a login that waited 5 s arrive
    read = client.get("/api/v1/models/", HTTP_X_REQUEST_START=_started(5))
    login = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": "a@example.org", "password": "x"},
        content_type="application/json",
        HTTP_X_REQUEST_START=_started(5),
    )
    # then both are refused at once, in our JSON error shape
    for response in (read, login):
        assert response.status_code == 503
        assert response["Content-Type"] == "application/json"
        assert response["Retry-After"] == "3"
        assert response.json()["code"] == "overloaded"


@pytest.mark.parametrize(
    "header",
    [None, "t=garbage", "t=nan", "t=-5", f"t={time.time() + 3600:.3f}"],
    ids=["absent", "garbage", "nan", "negative", "future"],
)
def test_a_request_without_a_readable_past_start_is_served(client, header):
    headers = {} if header is None else {"HTTP_X_REQUEST_START": header}
    response = client.get("/api/v1/models/", **headers)
    assert response.status_code == 200


def test_a_short_wait_is_served(client):
    response = client.get("/api/v1/models/", HTTP_X_REQUEST_START=_started(0.2))
    assert response.status_code == 200


def test_health_endpoints_are_never_shed(client):
    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_X_REQUEST_START=_started(60))
        assert response.status_code == 200, path


def test_a_limit_of_zero_turns_shedding_off(client, settings):
    settings.LOAD_SHED_MAX_QUEUE_SECONDS = 0
    response = client.get("/api/v1/models/", HTTP_X_REQUEST_START=_started(60))
    assert response.status_code == 200


def test_request_start_reads_seconds_milliseconds_and_microseconds():
    assert request_start("t=1700000000.5") == 1700000000.5
    assert request_start("1700000000500") == 1700000000.5
    assert request_start("t=1700000000500000") == 1700000000.5
    assert request_start("t=") is None
