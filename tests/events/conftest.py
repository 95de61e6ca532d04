"""Helpers for the outbox tests: a consumer registered for the test, and a Redis server of the
test's own that it may stop and start (the shared one is never touched)."""

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis

from config.celery import app as celery_app
from events.registry import consumer_register, consumer_unregister
from tests.accounts.conftest import free_port, wait_for

TEST_EVENT = "test.happened"


@dataclass
class Recorder:
    """A consumer's handler: records each event, and raises `errors` first, one per call."""

    errors: list[Exception] = field(default_factory=list)
    seen: list[int] = field(default_factory=list)
    during: Callable[[Any], None] | None = None

    def __call__(self, event: Any) -> str | None:
        if self.during is not None:
            self.during(event)
        if self.errors:
            raise self.errors.pop(0)
        self.seen.append(event.pk)
        return "ok"


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    handler = Recorder()
    consumer_register("test_recorder", [TEST_EVENT], handler)
    try:
        yield handler
    finally:
        consumer_unregister("test_recorder")


class RedisServer:
    """`redis-server` on a free port, without persistence, that a test may stop for real."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",  # noqa: S607
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        wait_for(lambda: _pings(client), timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.exceptions.ConnectionError:
        time.sleep(0.05)
        return False


def use_broker(url: str) -> None:
    """Point this process's Celery app at `url` (dropping the pools kept for the old one).
    Celery reads CELERY_BROKER_URL from the environment before its configuration."""
    os.environ["CELERY_BROKER_URL"] = url
    celery_app.conf.broker_url = url  # type: ignore[misc]
    # Dropped, not closed: kombu keeps one pool per URL for the process, and the one of the
    # URL restored after the test must stay usable.
    celery_app._pool = None  # type: ignore[attr-defined]
    celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]


@pytest.fixture
def own_broker() -> Iterator[RedisServer]:
    """A broker of the test's own, on a free port; the app's broker is restored after."""
    server = RedisServer()
    server.start()
    saved, saved_env = celery_app.conf.broker_url, os.environ.get("CELERY_BROKER_URL")
    use_broker(server.url)
    try:
        yield server
    finally:
        use_broker(saved)
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        server.stop()
