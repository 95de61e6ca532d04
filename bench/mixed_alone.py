"""`python -m bench mixed`: the mixed-load step alone (bench/mixed.py), against a database
an earlier `python -m bench load` filled, with where the server's time went per kind.

wrk's Lua hooks cannot tell which request an answer belongs to, so the per-kind figures come
from the server's side: gunicorn writes one access-log line per request with its method, path,
status and time in microseconds (`%(D)s`, from the request's arrival in the worker to the last
byte written: queueing before a worker took it is not in it), and each line is classified by
the same paths the wrk script sends. The share of worker time per kind is what a sync server
spends its capacity on; a kind whose share is far above its share of requests is the one to
fix. The log costs the server a little: compare runs with each other, not with `make bench`.
"""

import os
import re
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench import mixed, servers
from bench.progress import say

ACCESS_LOG_FORMAT = "%(m)s %(U)s %(s)s %(D)s"
_MODEL = r"/api/v1/models/[^/]+/[^/]+/"
_KINDS: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (kind, method, re.compile(pattern))
    for kind, method, pattern in (
        ("list", "GET", r"/api/v1/models/"),
        ("detail", "GET", _MODEL),
        ("rating", "GET", _MODEL + "rating/"),
        ("reviews", "GET", _MODEL + "reviews/"),
        ("review_create", "POST", _MODEL + "reviews/"),
        ("ranks", "GET", _MODEL + "ranks/"),
        ("cost", "GET", _MODEL + "cost/"),
        ("vote", "PUT", r"/api/v1/reviews/[^/]+/vote/"),
        ("report", "POST", r"/api/v1/reviews/[^/]+/reports/"),
        ("me", "GET", r"/api/v1/me/"),
        ("moderation_queue", "GET", r"/api/v1/moderation/queue/"),
        ("moderation_verify", "POST", r"/api/v1/moderation/reviews/[^/]+/verify/"),
    )
)


def classify(method: str, path: str) -> str | None:
    for kind, wanted, pattern in _KINDS:
        if method == wanted and pattern.fullmatch(path):
            return kind
    return None


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def breakdown(lines: list[str]) -> dict[str, dict[str, Any]]:
    """Per kind: requests, share of requests and of worker time, p50/p95/max/mean in ms."""
    times: dict[str, list[float]] = defaultdict(list)
    for line in lines:
        parts = line.split()
        if len(parts) != 4 or not parts[3].isdigit():
            continue
        kind = classify(parts[0], parts[1])
        if kind is not None:
            times[kind].append(int(parts[3]) / 1000)
    total_n = sum(len(v) for v in times.values()) or 1
    total_ms = sum(sum(v) for v in times.values()) or 1.0
    return {
        kind: {
            "requests": len(times[kind]),
            "request_share": round(len(times[kind]) / total_n, 3),
            "time_share": round(sum(times[kind]) / total_ms, 3),
            "mean_ms": round(statistics.fmean(times[kind]), 2),
            "p50_ms": round(_percentile(times[kind], 50), 2),
            "p95_ms": round(_percentile(times[kind], 95), 2),
            "max_ms": round(max(times[kind]), 2),
        }
        for kind in mixed.KINDS
        if times.get(kind)
    }


def format_breakdown(rows: dict[str, dict[str, Any]]) -> str:
    out = [f"    {'kind':<18} {'n':>6} {'req%':>6} {'time%':>6} {'mean':>8} {'p50':>8} "
           f"{'p95':>8} {'max':>8}"]  # fmt: skip
    for kind, r in sorted(rows.items(), key=lambda x: -x[1]["time_share"]):
        out.append(
            f"    {kind:<18} {r['requests']:>6} {100 * r['request_share']:>5.1f}% "
            f"{100 * r['time_share']:>5.1f}% {r['mean_ms']:>8.1f} {r['p50_ms']:>8.1f} "
            f"{r['p95_ms']:>8.1f} {r['max_ms']:>8.1f}"
        )
    return "\n".join(out)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of the process and its children (the workers), in seconds."""
    total = 0.0
    for one in (pid, *servers.children(pid)):
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def run_mixed(
    scratch: Path, *, steps: tuple[int, ...], duration_s: float, warmup_s: float, workers: int,
    port: int = 0,
) -> dict[str, Any]:  # fmt: skip
    """gunicorn (with the access log) and a Celery worker as `make bench` runs them, the
    ramp, then the per-kind breakdown of each measured step."""
    access_log = scratch / "access.log"
    access_log.unlink(missing_ok=True)
    env = servers.bench_env({})
    web = servers.gunicorn(env, scratch, workers=workers, worker_class="sync")
    web.command += ["--access-logfile", str(access_log), "--access-logformat", ACCESS_LOG_FORMAT]
    if port:  # on a shared machine, a port from the range this user was given
        web.port = port
        web.command[web.command.index("--bind") + 1] = f"127.0.0.1:{port}"
    worker = None
    try:
        web.start()
        servers.wait_http(web, web.port)
        worker = servers.start_celery(env, scratch, concurrency=2)
        say(f"mixed load: {', '.join(map(str, steps))} connections, {duration_s:g} s each")
        marks: list[int] = []
        cpu: list[tuple[float, float]] = []  # (gunicorn, Celery) CPU seconds at each mark

        def mark() -> None:
            marks.append(len(access_log.read_text().splitlines()) if access_log.exists() else 0)
            assert web.popen is not None and worker is not None and worker.popen is not None
            cpu.append((_cpu_seconds(web.popen.pid), _cpu_seconds(worker.popen.pid)))

        result = mixed.mixed_load(
            web.port, duration_s=duration_s, warmup_s=warmup_s, scratch=scratch,
            floor_rps=None, steps=steps, on_measure=mark,
        )  # fmt: skip
    finally:
        for process in (worker, web):
            if process is not None:
                process.stop()
    lines = access_log.read_text().splitlines()
    # mark() runs just before and just after each measured run: step i is lines
    # marks[2i]..marks[2i+1] (requests still queued when wrk stopped are left out).
    for i, step in enumerate(result["steps"]):
        step["by_kind"] = breakdown(lines[marks[2 * i] : marks[2 * i + 1]])
        # CPU per answered request: unlike latencies, barely moved by other load on the box.
        served = max(1, marks[2 * i + 1] - marks[2 * i])
        web_cpu, celery_cpu = (cpu[2 * i + 1][k] - cpu[2 * i][k] for k in (0, 1))
        step["cpu_ms_per_request"] = {
            "gunicorn": round(1000 * web_cpu / served, 2),
            "celery": round(1000 * celery_cpu / served, 2),
        }
        say(
            f"  {step['connections']} connections: CPU per answered request, gunicorn "
            f"{step['cpu_ms_per_request']['gunicorn']:.1f} ms, Celery "
            f"{step['cpu_ms_per_request']['celery']:.1f} ms ({served} answered)"
        )
        say(f"  {step['connections']} connections, server time per kind (ms):")
        print(format_breakdown(step["by_kind"]), flush=True)
    return result
