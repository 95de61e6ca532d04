"""Which database each read goes to (config/replica.py), decided in-process: the middleware and
the router with the real cache, a replica alias declared but never connected to (the
decisions never connect; tests/faults/test_replica.py runs a real streaming replica)."""

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from accounts.models import User
from config import replica
from config.replica import (
    PrimaryReplicaRouter,
    ReplicaRoutingMiddleware,
    ReplicaStatus,
    primary_reads,
)

pytestmark = [
    # Not inside a test transaction: an atomic block is exactly what keeps reads on the primary.
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Overriding setting DATABASES"),
]
router = PrimaryReplicaRouter()


@pytest.fixture(autouse=True)
def with_replica(settings: Any) -> Iterator[None]:
    # given a replica alias, measured healthy a moment ago
    settings.DATABASES = {**settings.DATABASES, "replica": dict(settings.DATABASES["default"])}
    settings.REPLICA_CHECK_SECONDS = 60
    replica._status = ReplicaStatus("ok", 0.0, time.monotonic())
    yield
    replica._status = None


def _route(method: str, path: str, during: Callable[[], str] | None = None, **headers: str) -> str:
    """Where a read made while the request is served goes."""
    seen: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(during() if during else router.db_for_read(User))
        return HttpResponse()

    request = getattr(RequestFactory(), method.lower())(path, **headers)
    ReplicaRoutingMiddleware(view)(request)
    return seen[0]


def test_a_public_read_goes_to_the_replica():
    assert _route("GET", "/api/v1/models/") == "replica"
    assert _route("HEAD", "/feeds/reviews/") == "replica"


def test_writes_admin_and_allauth_read_the_primary():
    assert _route("POST", "/api/v1/me/") == "default"
    assert _route("GET", "/admin/") == "default"
    assert _route("GET", "/_allauth/app/v1/auth/session") == "default"


def test_reads_in_a_transaction_after_a_write_or_for_a_document_read_the_primary():
    def in_atomic() -> str:
        with transaction.atomic():
            return router.db_for_read(User)

    def after_write() -> str:
        router.db_for_write(User)
        return router.db_for_read(User)

    def in_document() -> str:
        with primary_reads():
            return router.db_for_read(User)

    assert _route("GET", "/api/v1/models/", in_atomic) == "default"
    assert _route("GET", "/api/v1/models/", after_write) == "default"
    assert _route("GET", "/api/v1/models/", in_document) == "default"


def test_outside_a_request_everything_reads_the_primary():
    # Celery tasks, management commands, shells
    assert router.db_for_read(User) == "default"
    assert router.db_for_write(User) == "default"
    assert router.allow_migrate("replica", "reviews") is False


@pytest.mark.parametrize("state", ["lagging", "unreachable", "not_in_recovery"])
def test_a_replica_out_of_use_is_not_read(state):
    replica._status = ReplicaStatus(state, None, time.monotonic())
    assert _route("GET", "/api/v1/models/") == "default"


def test_a_client_that_wrote_reads_the_primary_for_the_pin_window():
    token = f"token-{time.monotonic_ns()}"
    other = f"other-{time.monotonic_ns()}"
    # given a client with a session token wrote
    assert _route("PATCH", "/api/v1/me/", HTTP_X_SESSION_TOKEN=token) == "default"
    # then its reads go to the primary, another client's to the replica
    assert _route("GET", "/api/v1/me/", HTTP_X_SESSION_TOKEN=token) == "default"
    assert _route("GET", "/api/v1/me/", HTTP_X_SESSION_TOKEN=other) == "replica"


def test_a_refused_write_pins_nothing():
    # given a request with a forged token refused before any write
    token = f"forged-{time.monotonic_ns()}"

    def refuse(request: HttpRequest) -> HttpResponse:
        return HttpResponse(status=401)

    request = RequestFactory().post("/api/v1/me/", HTTP_X_SESSION_TOKEN=token)
    ReplicaRoutingMiddleware(refuse)(request)
    # then that token is not pinned
    assert _route("GET", "/api/v1/me/", HTTP_X_SESSION_TOKEN=token) == "replica"


def test_a_session_saved_during_a_request_is_pinned():
    # given a login-like request that saves a new session (its key is the app's new token)
    from config.sessions import SessionStore

    saved: list[str] = []

    def save_session() -> str:
        session = SessionStore()
        session["marker"] = 1
        session.save()
        saved.append(str(session.session_key))
        return "default"

    _route("POST", "/_allauth/app/v1/auth/login", save_session)
    # then the new token reads the primary at once
    assert _route("GET", "/api/v1/me/", HTTP_X_SESSION_TOKEN=saved[0]) == "default"


def test_the_pin_outlives_the_largest_tolerated_lag(settings):
    settings.REPLICA_PIN_SECONDS = 1
    settings.REPLICA_MAX_LAG_SECONDS = 5
    settings.REPLICA_CHECK_SECONDS = 1
    assert replica.pin_seconds() >= 7
