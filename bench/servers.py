"""The processes under test: gunicorn serving the API, a Celery worker, and their memory.

Both run as subprocesses on the bench settings (config.settings.bench) with the run's
database and Redis URLs in their environment; each logs to a file under the run's scratch
folder, which a failure names.
"""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.progress import BenchError, say

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 is the parent pid; the command name (field 2) may hold spaces, so split
        # after its closing parenthesis.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def _status_kib(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def peak_rss_mib(pid: int) -> float | None:
    """The process's peak resident set size so far (VmHWM), in MiB."""
    kib = _status_kib(pid, "VmHWM")
    return round(kib / 1024, 1) if kib is not None else None


@dataclass
class Process:
    name: str
    command: list[str]
    log_path: Path
    env: dict[str, str]
    port: int = 0  # where it listens, for a server
    popen: subprocess.Popen | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            self.command,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=Path(__file__).resolve().parent.parent,
        )
        log.close()

    def check_alive(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            raise BenchError(f"{self.name} exited; its log: {self.log_path}\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def memory(self) -> dict[str, Any]:
        """Peak RSS of the main process and of each child (workers), in MiB."""
        if self.popen is None:
            return {}
        workers = children(self.popen.pid)
        peaks = [peak_rss_mib(pid) or 0.0 for pid in workers]
        return {
            "main_peak_rss_mib": peak_rss_mib(self.popen.pid),
            "worker_peak_rss_mib": peaks,
            "max_worker_peak_rss_mib": max(peaks, default=None),
            "total_peak_rss_mib": round((peak_rss_mib(self.popen.pid) or 0) + sum(peaks), 1),
        }

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM (a graceful shutdown for both servers), then SIGKILL if it hangs."""
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)


def bench_env(extra: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, **extra, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def gunicorn(env: dict[str, str], scratch: Path, *, workers: int, worker_class: str) -> Process:
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "config.wsgi",
        "--config", str(Path(__file__).with_name("gunicorn.conf.py")),
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--worker-class", worker_class,
        "--backlog", "256",
        "--timeout", "60",
        "--log-level", "warning",
    ]  # fmt: skip
    if worker_class == "gthread":
        command += ["--threads", "4"]
    return Process("gunicorn", command, scratch / "gunicorn.log", env, port=port)


def wait_http(process: Process, port: int, path: str = "/healthz", timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.check_alive()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(
        f"{process.name} did not answer {path} in {timeout:.0f}s\n{process.log_tail()}"
    )


def celery_worker(env: dict[str, str], scratch: Path, *, concurrency: int) -> Process:
    command = [
        str(BIN / "celery"), "-A", "config", "worker",
        "-Q", "default,mail,ratings,maintenance",
        "--concurrency", str(concurrency),
        "--hostname", f"bench-{os.getpid()}@%h",
        "--without-gossip", "--without-mingle",
        "--loglevel", "INFO",
    ]  # fmt: skip
    return Process("celery worker", command, scratch / "celery.log", env)


def wait_log(process: Process, needle: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.check_alive()
        if needle in process.log_path.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise BenchError(f"{process.name} not ready in {timeout:.0f}s\n{process.log_tail()}")


def start_gunicorn(env: dict[str, str], scratch: Path, **options: Any) -> tuple[Process, int]:
    process = gunicorn(env, scratch, **options)
    process.start()
    port = process.port
    wait_http(process, port)
    say(f"gunicorn up on 127.0.0.1:{port} ({options['workers']} {options['worker_class']} workers)")
    return process, port


def start_celery(env: dict[str, str], scratch: Path, *, concurrency: int) -> Process:
    process = celery_worker(env, scratch, concurrency=concurrency)
    process.start()
    wait_log(process, " ready.")
    say(f"celery worker up (concurrency {concurrency}, queues default,mail,ratings)")
    return process
