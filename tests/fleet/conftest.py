"""The production process model as real processes: workers started with the Procfile's own
commands (one process group each, so SIGKILL takes the pool's children too), gunicorn
instances, all on the broker this run uses (Redis under `make test`, RabbitMQ under
`make test-rabbitmq`) and the test database. Mail goes to files (EMAIL_FILE_PATH), the
outside edge."""

import functools
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from config.celery import app as celery_app
from tests.accounts.conftest import database_url_for_subprocess, free_port, wait_for
from tests.conftest import PROJECT_DIR

BIN = Path(sys.executable).parent


def procfile() -> dict[str, str]:
    lines = (PROJECT_DIR / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def fleet_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of every process of the fleet: this run's database, cache and broker;
    mail written to tmp_path/mail; the recovery paths (outbox lease and sweeps) on a test's
    time scale instead of minutes."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir(exist_ok=True)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        "CELERY_BROKER_URL": celery_app.conf.broker_url,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "OUTBOX_LEASE_SECONDS": "5",
        "OUTBOX_SWEEP_AFTER": "2",
        "RATING_STALE_SWEEP_AFTER": "2",
        **extra,
    }


def mails_sent(tmp_path: Path) -> list[str]:
    """The messages the fleet's workers sent (the file backend: one file per connection)."""
    found = []
    for path in sorted((tmp_path / "mail").glob("*.log")):
        text = path.read_text(errors="replace")
        found += [part for part in text.split("-" * 79) if "Subject:" in part]
    return found


class Process:
    """One process of the fleet in its own process group (a worker and its pool children)."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        self.popen = subprocess.Popen(  # noqa: S603
            command, cwd=PROJECT_DIR, env=env, stdout=log.open("wb"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def terminate(self) -> None:
        """SIGTERM to the group (a warm shutdown); stop() waits for it."""
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL to the whole group: no warm shutdown, no acknowledgement, no cleanup."""
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if not self.alive():
            return
        self.terminate()
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


def worker_command(program: str, index: int, concurrency: int | None = None) -> list[str]:
    """The Procfile's command of `program`, named uniquely (several of one pool at once);
    `concurrency` replaces the Procfile's (a 2-core test machine runs many at once)."""
    command = procfile()[program].replace("%h", f"{index}-{uuid.uuid4().hex[:8]}")
    if concurrency is not None:
        command = re.sub(r"--concurrency \d+", f"--concurrency {concurrency}", command)
    return [str(BIN / command.split()[0]), *command.split()[1:]]


def _start_worker(
    program: str, env: dict[str, str], tmp_path: Path, index: int, concurrency: int | None
) -> Process:
    return Process(
        f"{program}-{index}", worker_command(program, index, concurrency), env,
        tmp_path / f"{program}-{index}.log",
    )  # fmt: skip


def _ready(process: Process) -> bool:
    if not process.alive():
        raise AssertionError(f"{process.name} exited:\n{process.output()[-3000:]}")
    return " ready." in process.output()


@contextmanager
def workers(
    programs: list[str],
    env: dict[str, str],
    tmp_path: Path,
    each: int = 1,
    concurrency: int | None = None,
) -> Iterator[dict[str, list[Process]]]:
    """`each` workers of every program in `programs`, all ready before the block runs
    (started together, then waited for: their start-ups overlap)."""
    started: dict[str, list[Process]] = {program: [] for program in programs}
    every: list[Process] = []
    try:
        for program in programs:
            for index in range(each):
                every.append(_start_worker(program, env, tmp_path, index, concurrency))
                started[program].append(every[-1])
        for process in every:
            wait_for(functools.partial(_ready, process), timeout=60)
        yield started
    finally:
        for process in every:  # all warm shutdowns at once, then each waited for
            process.terminate()
        for process in every:
            process.stop()


def gunicorn(env: dict[str, str], tmp_path: Path, index: int) -> tuple[Process, str]:
    """A gunicorn instance (one process, 4 threads) and its base URL."""
    port = free_port()
    command = [
        str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", "1", "--threads", "4", "--config", "/dev/null",
    ]  # fmt: skip
    process = Process(f"web-{index}", command, env, tmp_path / f"web-{index}.log")
    return process, f"http://127.0.0.1:{port}"
