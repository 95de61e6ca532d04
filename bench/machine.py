"""What the figures were measured on: absolute numbers mean little without it."""

import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.db import connection


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _wrk_version() -> str:
    wrk = shutil.which("wrk")
    if not wrk:
        return "missing"
    # `wrk --version` prints its banner and exits 1.
    out = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    banner = (out.stdout or out.stderr or "?").splitlines()[0]
    return banner.split(" Copyright")[0].strip()


def machine_info() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    redis_version = client.info("server").get("redis_version", "?")
    client.close()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": pg_version,
        "redis": redis_version,
        "django": metadata.version("django"),
        "gunicorn": metadata.version("gunicorn"),
        "celery": metadata.version("celery"),
        "wrk": _wrk_version(),
        "load_average_at_start": list(os.getloadavg()),
    }
