"""/healthz and /readyz against the real PostgreSQL and the real Redis broker."""

import socket

import pytest

from config.celery import app as celery_app


def _closed_port() -> int:
    # A port the OS just handed out and that nothing listens on any more.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_answers_ok_without_touching_dependencies(client):
    # when (no database access allowed in this test)
    response = client.get("/healthz")
    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_answers_ok_with_database_and_broker(client):
    # when
    response = client.get("/readyz")
    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_readyz_answers_503_naming_the_broker_when_it_is_down(client, monkeypatch):
    # given the app publishes to a closed port (the write URL is what producers use, and it
    # also wins over a CELERY_BROKER_URL set in the environment)
    monkeypatch.setitem(
        celery_app.conf, "broker_write_url", f"redis://127.0.0.1:{_closed_port()}/15"
    )
    # when
    response = client.get("/readyz")
    # then
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "broker": "unreachable"},
    }


def test_health_endpoints_refuse_writes(client):
    # when / then
    assert client.post("/healthz").status_code == 405
