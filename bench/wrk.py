"""The load generator: wrk (C, event loop) on loopback, with a Lua `done` hook that prints the
exact counts and latency percentiles as JSON instead of wrk's rounded human table.

Many clients: with `addresses`, each request carries `X-Forwarded-For` with the next of that
many addresses (198.18.0.0/15, the range set aside for benchmarks), as a trusted proxy in
front of the app would write it. The bench's settings trust one proxy on loopback, so the
production throttles count each address on its own, as they would count real visitors. The
requests are formatted once at start (`init`), so a request costs wrk one table lookup.
"""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bench.progress import BenchError, say

_DONE_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "mean": %.1f, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
"""


_ADDRESSES_LUA = r"""
local pool, size, next_index = {}, 0, 0
init = function(args)
  size = tonumber(args[1])
  for k = 0, size - 1 do
    local headers = {}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    headers["X-Forwarded-For"] = string.format(
      "198.%d.%d.%d", 18 + math.floor(k / 65536) % 2, math.floor(k / 256) % 256, k % 256)
    pool[k + 1] = wrk.format(nil, nil, headers)
  end
end
request = function()
  next_index = next_index % size + 1
  return pool[next_index]
end
"""
MAX_ADDRESSES = 131_072  # 198.18.0.0/15


def ensure_wrk() -> str:
    """The wrk binary; installed from the distribution's packages when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    say("wrk is missing: installing it with apt-get (Debian package `wrk`)")
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, capture_output=True, check=False).returncode != 0:
        # A fresh machine may have no package index yet.
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, check=False)
        subprocess.run(install, capture_output=True, check=False)
    found = shutil.which("wrk")
    if not found:
        raise BenchError(
            "wrk is not installed and `apt-get install -y wrk` failed (needs root and the "
            "Debian package index). Install wrk by hand and run the bench again."
        )
    return found


def run(
    url: str,
    *,
    duration_s: float,
    connections: int,
    threads: int,
    scratch: Path,
    headers: dict[str, str] | None = None,
    addresses: int = 0,
) -> dict[str, Any]:
    """One wrk run against `url`; every non-2xx/3xx answer or socket error stops the bench
    (a 429 from the throttles too). With `addresses`, from that many client addresses."""
    if not 0 <= addresses <= MAX_ADDRESSES:
        raise BenchError(f"addresses must be from 0 to {MAX_ADDRESSES}")
    script = scratch / ("wrk_addresses.lua" if addresses else "wrk_done.lua")
    script.write_text((_ADDRESSES_LUA if addresses else "") + _DONE_LUA)
    command = [
        ensure_wrk(),
        "--threads", str(threads),
        "--connections", str(connections),
        "--duration", f"{max(round(duration_s), 1)}s",
        "--timeout", "10s",
        "--latency",
        "--script", str(script),
    ]  # fmt: skip
    for name, value in (headers or {}).items():
        command += ["--header", f"{name}: {value}"]
    command.append(url)
    if addresses:
        command += ["--", str(addresses)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed on {url}:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    errors = raw["errors"]
    if errors["status"] or errors["connect"] or errors["read"] or errors["timeout"]:
        raise BenchError(f"wrk saw errors on {url}: {errors}\n{done.stdout}")
    seconds = raw["duration_us"] / 1e6
    latency = raw["latency_us"]
    return {
        "url": url,
        "requests": raw["requests"],
        "duration_s": round(seconds, 3),
        "rps": round(raw["requests"] / seconds, 1),
        "p50_ms": round(latency["p50"] / 1000, 3),
        "p90_ms": round(latency["p90"] / 1000, 3),
        "p99_ms": round(latency["p99"] / 1000, 3),
        "mean_ms": round(latency["mean"] / 1000, 3),
        "max_ms": round(latency["max"] / 1000, 3),
        "bytes_per_response": round(raw["bytes"] / max(raw["requests"], 1)),
        "socket_errors": errors,
        "addresses": addresses,
    }
