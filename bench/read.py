"""Step 2: the read path. wrk against gunicorn for the rating endpoint and every document of
the model page (detail, list, ranks, cost, first page of reviews, the page in one request,
warm, compressed, conditional, cold, and with an API key), the comparison documents (a
chart, a comparison of three models, a price history), beside the floor and the naive
peer served by the same server in the same run.

The production throttles are on: every run but the API key's comes from ADDRESSES client
addresses behind the trusted proxy header (bench/wrk.py), the key's row counts against the
key. A 429 stops the bench.

The floor is interleaved: floor, endpoint, floor, endpoint, ..., floor. Each ratio is the
endpoint's rate over the mean of the two floors around it, and the drift of that pair
(|after - before| / mean) says how much the machine's capacity moved meanwhile. A step whose
drift exceeds MAX_FLOOR_DRIFT anywhere is marked unreliable (`reliable: false`).
"""

import functools
import http.client
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench import wrk
from bench.profiling import profile
from bench.progress import BenchError, say

# Measured in this order, each between two runs of the floor.
ORDER = (
    "floor_drf", "rating", "rating_304", "naive", "detail", "detail_304", "detail_key",
    "detail_cold", "list", "ranks", "cost", "reviews", "page", "page_gzip", "chart", "compare",
    "prices",
)  # fmt: skip
GZIP = {"Accept-Encoding": "gzip"}
# Client addresses wrk cycles through (X-Forwarded-For): at the floor's rate each address
# stays far below the anonymous limit (600/min), as many real visitors would.
ADDRESSES = 4096
MAX_FLOOR_DRIFT = 0.10
BENCH_KEY_NAME = "bench"
# Headers of the bench's own requests outside wrk (setup, the freshness poller): the API
# key, so that polling from one address is not refused by the per-address limit.
CLIENT_HEADERS: dict[str, str] = {}
# The seed page's price chart: every multimodal model's output price, with ranks.
CHART = "/api/v1/charts/?category=multimodal&measure=output_price"
LIST_FIRST = "/api/v1/models/?page_size=3"


def api_key_setup() -> str:
    """A fresh API key for the bench (the previous run's is replaced), high enough a rate for
    wrk; also used by the bench's own requests from here on (CLIENT_HEADERS)."""
    from accounts.models import ApiKey
    from accounts.services import api_key_create

    ApiKey.objects.filter(name=BENCH_KEY_NAME).delete()
    _, raw = api_key_create(name=BENCH_KEY_NAME, rate="100000000/min", created_by=None)
    CLIENT_HEADERS["X-Api-Key"] = raw
    return raw


def http_get(
    port: int, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={**CLIENT_HEADERS, **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _must_get(port: int, path: str) -> tuple[dict, bytes]:
    status, headers, body = http_get(port, path)
    if status != 200:
        raise BenchError(f"GET {path} answered {status}: {body[:500]!r}")
    return headers, body


def model_path(slug: str) -> str:
    return quote(slug, safe="/:~.-_")


def compare_path(slug: str, list_body: bytes) -> str:
    """A comparison of the model with the first two others of the list's first page."""
    others = [m["slug"] for m in json.loads(list_body)["results"] if m["slug"] != slug][:2]
    return "/api/v1/compare/?models=" + ",".join(model_path(s) for s in [slug, *others])


def endpoints(port: int, slug: str) -> dict[str, dict[str, Any]]:
    """Each endpoint's path (checked to answer 200) and the headers wrk sends."""
    rating = f"/api/v1/models/{model_path(slug)}/rating/"
    headers, body = _must_get(port, rating)
    found: dict[str, dict[str, Any]] = {
        "floor": {"path": f"/bench/floor/{len(body)}/"},
        "floor_drf": {"path": f"/bench/floor-drf/{len(body)}/"},
        "rating": {"path": rating},
        "naive": {"path": f"/bench/naive/{model_path(slug)}/rating/"},
        "detail": {"path": f"/api/v1/models/{model_path(slug)}/"},
        "list": {"path": "/api/v1/models/?page_size=50"},
    }
    found.update(_document_endpoints(port, slug))
    etag = {k.lower(): v for k, v in headers.items()}.get("etag")
    if etag:
        found["rating_304"] = {"path": rating, "headers": {"If-None-Match": etag}, "body_bytes": 0}
    for name, spec in found.items():
        if "body_bytes" not in spec:
            spec["body_bytes"] = len(_must_get(port, spec["path"])[1])
        if name in ("detail", "list", "ranks", "reviews", "page"):
            # Bytes on the wire with compression (anonymous requests of documents >= 1 KB).
            status, _, body = http_get(port, spec["path"], GZIP)
            spec["gzip_bytes"] = len(body) if status == 200 else None
    return found


def _document_endpoints(port: int, slug: str) -> dict[str, dict[str, Any]]:
    """The pre-rendered documents of the model page (issue 14), and the conditional,
    compressed and cold variants."""
    base = f"/api/v1/models/{model_path(slug)}/"
    page = f"{base}?include=rating,ranks,reviews"
    found: dict[str, dict[str, Any]] = {
        # Every request renders: the bench view retires the model's generation first.
        "detail_cold": {"path": f"/bench/cold/{model_path(slug)}/"},
        "ranks": {"path": f"{base}ranks/"},
        "cost": {"path": f"{base}cost/?input_tokens=1000000&output_tokens=1000000"},
        "reviews": {"path": f"{base}reviews/"},
        "page": {"path": page},
        "page_gzip": {"path": page, "headers": GZIP},
        "chart": {"path": CHART},
        "compare": {"path": compare_path(slug, _must_get(port, LIST_FIRST)[1])},
        "prices": {"path": f"{base}prices/"},
    }
    status, _, page_gzip = http_get(port, page, GZIP)
    if status != 200:
        raise BenchError(f"GET {page} (gzip) answered {status}: {page_gzip[:500]!r}")
    found["page_gzip"]["body_bytes"] = len(page_gzip)
    etag = {k.lower(): v for k, v in _must_get(port, base)[0].items()}.get("etag")
    if etag:
        found["detail_304"] = {"path": base, "headers": {"If-None-Match": etag}, "body_bytes": 0}
    if CLIENT_HEADERS.get("X-Api-Key"):
        # A server-side frontend: one address, its own limit (no X-Forwarded-For).
        found["detail_key"] = {"path": base, "headers": {"X-Api-Key": CLIENT_HEADERS["X-Api-Key"]},
                               "addresses": 0}  # fmt: skip
    return found


def _ratio(rps: dict[str, float], a: str, b: str) -> float | None:
    if rps.get(a) and rps.get(b):
        return round(rps[a] / rps[b], 3)
    return None


def read_path(
    port: int,
    slug: str,
    *,
    duration_s: float,
    warmup_s: float,
    connections: int,
    scratch: Path,
    order: tuple[str, ...] = ORDER,
) -> dict[str, Any]:
    """The endpoints of `order` (all by default), each between two runs of the floor."""
    targets = endpoints(port, slug)
    floor_spec = targets["floor"]

    def measure(spec: dict[str, Any], warmup: float) -> dict[str, Any]:
        url = f"http://127.0.0.1:{port}{spec['path']}"
        run = functools.partial(
            wrk.run, url, connections=connections, threads=1, scratch=scratch,
            headers=spec.get("headers"), addresses=spec.get("addresses", ADDRESSES),
        )  # fmt: skip
        if warmup > 0:
            run(duration_s=warmup)
        return run(duration_s=duration_s)

    first_floor = measure(floor_spec, warmup_s)
    floors = [first_floor["rps"]]
    results: dict[str, Any] = {}
    for name in (n for n in order if n in targets):
        spec = targets[name]
        measured = measure(spec, warmup_s)
        # The floor is warm already: no warm-up, so interleaving costs one measurement.
        floors.append(measure(floor_spec, 0)["rps"])
        before, after = floors[-2], floors[-1]
        around = (before + after) / 2
        measured["floor_around_rps"] = round(around, 1)
        measured["over_floor"] = round(measured["rps"] / around, 3) if around else None
        measured["floor_drift"] = round(abs(after - before) / around, 3) if around else None
        measured["body_bytes"] = spec.get("body_bytes", floor_spec["body_bytes"])
        if spec.get("gzip_bytes") is not None:
            measured["gzip_bytes"] = spec["gzip_bytes"]
        results[name] = measured
        say(
            f"  {name:<11} {measured['rps']:>9,.0f} req/s  p50 {measured['p50_ms']:.2f} ms  "
            f"p99 {measured['p99_ms']:.2f} ms  ({measured['body_bytes'] or 0} B)  "
            f"/ floor {measured['over_floor']}  (floor {before:,.0f} -> {after:,.0f}, "
            f"drift {measured['floor_drift']:.1%})"
        )
    mean_floor = sum(floors) / len(floors)
    results = {
        # The first run's latencies; the rate is the mean of every run of the floor.
        "floor": {**first_floor, "rps": round(mean_floor, 1),
                  "body_bytes": floor_spec["body_bytes"], "runs_rps": floors},
        **results,
    }  # fmt: skip
    over = {name: result.get("over_floor") for name, result in results.items()}
    rps = {name: result["rps"] for name, result in results.items()}
    ratios = {f"{name}_over_floor": over.get(name) for name in order if name in results}
    ratios.update(
        {
            "rating_over_naive": _ratio(rps, "rating", "naive"),
            "rating_over_floor_drf": _ratio(rps, "rating", "floor_drf"),
            # Capacity drift during the step (1.0: none), last floor over first.
            "floor_last_over_floor_first": round(floors[-1] / floors[0], 3) if floors[0] else None,
        }
    )
    drifts = [r["floor_drift"] for r in results.values() if r.get("floor_drift") is not None]
    max_drift = max(drifts, default=0.0)
    return {
        "floor_rps_for_ratios": round(mean_floor, 1),
        "model": slug,
        "duration_s": duration_s,
        "warmup_s": warmup_s,
        "connections": connections,
        "addresses": ADDRESSES,
        "throttles": "production (per address, per API key)",
        "floor_drift_max": max_drift,
        "max_floor_drift_allowed": MAX_FLOOR_DRIFT,
        "reliable": max_drift <= MAX_FLOOR_DRIFT,
        "endpoints": results,
        "ratios": ratios,
    }


def profile_endpoints(slug: str, floor_bytes: int, repeat: int = 20) -> dict[str, Any]:
    """The same endpoints in this process (Django's test client, the same settings and
    database), under cProfile, with their queries: where a request's time goes."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    paths = {
        "rating": f"/api/v1/models/{model_path(slug)}/rating/",
        "naive": f"/bench/naive/{model_path(slug)}/rating/",
        "detail": f"/api/v1/models/{model_path(slug)}/",
        "detail_cold": f"/bench/cold/{model_path(slug)}/",
        "list": "/api/v1/models/?page_size=50",
        "ranks": f"/api/v1/models/{model_path(slug)}/ranks/",
        "reviews": f"/api/v1/models/{model_path(slug)}/reviews/",
        "page": f"/api/v1/models/{model_path(slug)}/?include=rating,ranks,reviews",
        "chart": CHART,
        "compare": compare_path(slug, client.get(LIST_FIRST).content),
        "prices": f"/api/v1/models/{model_path(slug)}/prices/",
        "floor": f"/bench/floor/{floor_bytes}/",
        "floor_drf": f"/bench/floor-drf/{floor_bytes}/",
    }
    out = {}
    for name, path in paths.items():

        def fetch(path: str = path) -> None:
            response = client.get(path)
            if response.status_code != 200:
                raise BenchError(f"GET {path} answered {response.status_code} in process")

        out[name] = profile(fetch, repeat=repeat)
    return out
