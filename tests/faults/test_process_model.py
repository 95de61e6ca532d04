"""The production process model: the Procfile and deploy/supervisord.conf agree, every queue
has a consumer in exactly one pool, and a worker killed with SIGKILL under supervisord comes
back by itself."""

import configparser
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.accounts.conftest import database_url_for_subprocess, free_port, wait_for
from tests.conftest import PROJECT_DIR
from tests.faults.conftest import RedisProcess

pytestmark = pytest.mark.faults
SUPERVISOR_CONF = PROJECT_DIR / "deploy" / "supervisord.conf"
BIN = Path(sys.executable).parent


def _procfile() -> dict[str, str]:
    lines = (PROJECT_DIR / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def _programs() -> dict[str, dict[str, str]]:
    parser = configparser.RawConfigParser()
    parser.read(SUPERVISOR_CONF)
    return {
        section.removeprefix("program:"): dict(parser[section])
        for section in parser.sections()
        if section.startswith("program:")
    }


def _queues(command: str) -> set[str]:
    found = re.search(r"-Q (\S+)", command)
    return set(found.group(1).split(",")) if found else set()


def test_supervisord_runs_the_procfile_and_restarts_every_process():
    procfile, programs = _procfile(), _programs()
    assert set(programs) == set(procfile)
    for name, command in procfile.items():
        assert programs[name]["command"].replace("%%", "%") == command, name
        assert programs[name]["autorestart"] == "true", name


def test_every_queue_is_consumed_by_its_own_pool_and_ratings_share_with_nothing():
    procfile = _procfile()
    workers = {name: _queues(cmd) for name, cmd in procfile.items() if " worker " in cmd}
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert routed | {settings.CELERY_TASK_DEFAULT_QUEUE} <= declared
    assert set().union(*workers.values()) == declared
    # one pool per queue group: no queue consumed by two pools, ratings consumed alone
    assert sum(len(queues) for queues in workers.values()) == len(declared)
    assert workers["worker_ratings"] == {"ratings"}
    assert workers["worker_mail"] == {"mail", "webhooks"}
    assert "maintenance" in workers["worker_maintenance"]
    for name, command in procfile.items():
        if " worker " in command:
            assert re.search(r"--concurrency \d+", command), name  # each its own concurrency
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        route = settings.CELERY_TASK_ROUTES[entry["task"]]
        if "sweep" in entry["task"]:
            assert route["queue"] == "maintenance", entry["task"]
    assert len([cmd for cmd in procfile.values() if " beat " in cmd]) == 1


def _status(environment: dict[str, str]) -> dict[str, tuple[str, int | None]]:
    result = subprocess.run(  # noqa: S603
        [str(BIN / "supervisorctl"), "-c", str(SUPERVISOR_CONF), "status"],
        env=environment, capture_output=True, text=True, timeout=20, check=False,
    )  # fmt: skip
    states = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            pid = re.search(r"pid (\d+)", line)
            states[parts[0]] = (parts[1], int(pid.group(1)) if pid else None)
    return states


def _all_running(environment: dict[str, str], names: set[str]) -> dict | None:
    states = _status(environment)
    if names <= set(states) and all(states[name][0] == "RUNNING" for name in names):
        return states
    return None


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.mark.worker
@pytest.mark.django_db
def test_a_worker_killed_under_supervisord_comes_back(own_redis: RedisProcess, tmp_path: Any):
    # given the whole process model under supervisord, on the test's own Redis and database
    port, writes_port = free_port(), free_port()
    environment = {
        **os.environ,
        "RUN_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        "CACHE_URL": own_redis.url(0, "rediscache"),
        "CELERY_BROKER_URL": own_redis.url(1),
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "WRITES_PORT": str(writes_port),
        "WEB_WRITES_CONCURRENCY": "1",
    }
    supervisord = subprocess.Popen(  # noqa: S603
        [str(BIN / "supervisord"), "-c", str(SUPERVISOR_CONF)],
        env=environment, stdout=(tmp_path / "out.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    names = set(_programs())
    try:
        states = wait_for(lambda: _all_running(environment, names), timeout=60)
        wait_for(lambda: _healthy(port), timeout=30)
        wait_for(lambda: _healthy(writes_port), timeout=30)  # the writes pool

        # when the ratings worker is killed outright
        killed = states["worker_ratings"][1]
        assert killed is not None
        started = time.monotonic()
        os.kill(killed, signal.SIGKILL)

        # then supervisord starts a new one
        def replaced() -> bool:
            state, pid = _status(environment).get("worker_ratings", ("", None))
            return state == "RUNNING" and pid not in (None, killed)

        wait_for(replaced, timeout=30)
        print(f"\nworker_ratings back {time.monotonic() - started:.1f} s after SIGKILL")
        assert _healthy(port)
    finally:
        supervisord.send_signal(signal.SIGTERM)
        try:
            supervisord.wait(timeout=60)
        except subprocess.TimeoutExpired:
            supervisord.kill()


def test_the_worker_treats_a_full_redis_as_a_connection_loss_not_an_end():
    # A full Redis answers OOM (redis-py's OutOfMemoryError, a ResponseError): one of the
    # Redis transport's channel errors, which the consumer retries (reconnects) only with
    # broker_channel_error_retry; otherwise Celery calls it unrecoverable and the worker ends.
    from kombu.transport.redis import Transport
    from redis.exceptions import OutOfMemoryError

    from config.celery import app as celery_app

    assert issubclass(OutOfMemoryError, Transport.channel_errors)
    assert celery_app.conf.broker_channel_error_retry is True
    assert celery_app.conf.broker_connection_retry is True
    assert celery_app.conf.broker_connection_max_retries is None
    assert celery_app.conf.worker_cancel_long_running_tasks_on_connection_loss is True
