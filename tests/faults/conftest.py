"""Fault injection on a Redis server of the test's own: started on a free port (never the
shared 6379), stopped, frozen (SIGSTOP), filled to its memory limit; the cache and Celery of
this process are pointed at it for the test. Figures go to bench/results/tmp/faults.json
(bench/results/faults.md holds a run's table)."""

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis

from config.celery import app as celery_app
from config.redis_health import redis_circuits_reset
from tests.accounts.conftest import free_port, wait_for
from tests.conftest import PROJECT_DIR

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
FIGURES = PROJECT_DIR / "bench" / "results" / "tmp" / "faults.json"


class RedisProcess:
    """A redis-server of the test's own, without persistence (a restart starts empty)."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    def url(self, db: int, scheme: str = "redis") -> str:
        return f"{scheme}://127.0.0.1:{self.port}/{db}"

    def client(self, **options: Any) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5, **options)

    def start(self) -> None:
        command = [
            REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.directory),
        ]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603
            command,
            stdout=(self.directory / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_for(self._answers, timeout=10)

    def _answers(self) -> bool:
        try:
            return bool(self.client(socket_connect_timeout=0.2).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def freeze(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            server.thaw()
        server.stop()


def _celery_pools_reset() -> None:
    # Not closed: kombu keeps pools in a registry by URL, and a closed one would be handed
    # out again; its connections reconnect when used. (Celery's private members.)
    app: Any = celery_app
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Celery of this process (publishes, and workers started inside) on `url`."""
    conf: Any = celery_app.conf
    names = ("broker_url", "broker_read_url", "broker_write_url")  # resolved at startup
    saved = {name: conf[name] for name in names}
    _celery_pools_reset()
    for name in names:
        conf[name] = url
    try:
        yield
    finally:
        _celery_pools_reset()
        for name, value in saved.items():
            conf[name] = value


@pytest.fixture
def on_own_redis(own_redis: RedisProcess, settings: Any) -> Iterator[RedisProcess]:
    """The cache (db 0) and the broker (db 1) of this process on the test's own Redis, with
    the production socket timeouts; every circuit closed."""
    from config.settings.base import cache_from_env

    os.environ["FAULTS_CACHE_URL"] = own_redis.url(0, "rediscache")
    settings.CACHES = {"default": cache_from_env("FAULTS_CACHE_URL", "locmemcache://")}
    redis_circuits_reset()
    with celery_broker(own_redis.url(1)):
        yield own_redis
    redis_circuits_reset()


def _purge(server: RedisProcess) -> None:
    server.client(db=1).flushdb()  # the test's own server: nobody else's queues


@pytest.fixture
def figures() -> Iterator[dict[str, Any]]:
    """A test's figures, printed and merged into bench/results/tmp/faults.json."""
    found: dict[str, Any] = {}
    yield found
    if not found:
        return
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    known = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    known.update(found)
    FIGURES.write_text(json.dumps(known, indent=2, sort_keys=True) + "\n")
    print("\n" + json.dumps(found, indent=2))


class Stopwatch:
    """Times calls; `worst` is the slowest."""

    def __init__(self) -> None:
        self.times: list[float] = []

    @contextmanager
    def time(self) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.times.append(time.monotonic() - started)

    @property
    def worst(self) -> float:
        return max(self.times)
