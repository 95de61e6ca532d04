"""Step 2: the read path. wrk against gunicorn for the rating endpoint and every document of
the model page (detail, list, ranks, cost, first page of reviews, the page in one request,
warm, compressed, conditional and cold), the comparison documents (a chart, a comparison of
three models, a price history), beside the floor and the naive peer served by the same server
in the same run.
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

# Measured in this order. The floor runs first and again last: on a shared machine the two
# tell how much the capacity drifted during the step, and ratios use their mean.
ORDER = (
    "floor", "floor_drf", "rating", "rating_304", "naive", "detail", "detail_304",
    "detail_cold", "list", "ranks", "cost", "reviews", "page", "page_gzip", "chart", "compare",
    "prices", "floor_again",
)  # fmt: skip
GZIP = {"Accept-Encoding": "gzip"}
# The seed page's price chart: every multimodal model's output price, with ranks.
CHART = "/api/v1/charts/?category=multimodal&measure=output_price"
LIST_FIRST = "/api/v1/models/?page_size=3"


def http_get(
    port: int, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
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
        "floor_again": {"path": f"/bench/floor/{len(body)}/"},
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
        if "body_bytes" not in spec and name != "floor_again":
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
    return found


def _ratio(rps: dict[str, float], a: str, b: str) -> float | None:
    if rps.get(a) and rps.get(b):
        return round(rps[a] / rps[b], 3)
    return None


def read_path(
    port: int, slug: str, *, duration_s: float, warmup_s: float, connections: int, scratch: Path
) -> dict[str, Any]:
    targets = endpoints(port, slug)
    results: dict[str, Any] = {}
    for name in (n for n in ORDER if n in targets):
        spec = targets[name]
        url = f"http://127.0.0.1:{port}{spec['path']}"
        run = functools.partial(wrk.run, url, connections=connections, threads=1, scratch=scratch)
        run(duration_s=warmup_s, headers=spec.get("headers"))
        measured = run(duration_s=duration_s, headers=spec.get("headers"))
        measured["body_bytes"] = spec.get("body_bytes", targets["floor"]["body_bytes"])
        if spec.get("gzip_bytes") is not None:
            measured["gzip_bytes"] = spec["gzip_bytes"]
        results[name] = measured
        say(
            f"  {name:<10} {measured['rps']:>9,.0f} req/s  p50 {measured['p50_ms']:.2f} ms  "
            f"p99 {measured['p99_ms']:.2f} ms  ({measured['body_bytes'] or 0} B)"
        )
    rps = {name: result["rps"] for name, result in results.items()}
    rps["floor"] = (results["floor"]["rps"] + results["floor_again"]["rps"]) / 2
    ratios = {
        "rating_over_floor": _ratio(rps, "rating", "floor"),
        "rating_over_naive": _ratio(rps, "rating", "naive"),
        "detail_over_floor": _ratio(rps, "detail", "floor"),
        "detail_304_over_floor": _ratio(rps, "detail_304", "floor"),
        "detail_cold_over_floor": _ratio(rps, "detail_cold", "floor"),
        "list_over_floor": _ratio(rps, "list", "floor"),
        "ranks_over_floor": _ratio(rps, "ranks", "floor"),
        "cost_over_floor": _ratio(rps, "cost", "floor"),
        "reviews_over_floor": _ratio(rps, "reviews", "floor"),
        "page_over_floor": _ratio(rps, "page", "floor"),
        "page_gzip_over_floor": _ratio(rps, "page_gzip", "floor"),
        "chart_over_floor": _ratio(rps, "chart", "floor"),
        "compare_over_floor": _ratio(rps, "compare", "floor"),
        "prices_over_floor": _ratio(rps, "prices", "floor"),
        "naive_over_floor": _ratio(rps, "naive", "floor"),
        "floor_drf_over_floor": _ratio(rps, "floor_drf", "floor"),
        "rating_over_floor_drf": _ratio(rps, "rating", "floor_drf"),
        "rating_304_over_floor": _ratio(rps, "rating_304", "floor"),
        # Capacity drift during the step (1.0: none).
        "floor_again_over_floor_first": _ratio(
            {"a": results["floor_again"]["rps"], "b": results["floor"]["rps"]}, "a", "b"
        ),
    }
    return {
        "floor_rps_for_ratios": round(rps["floor"], 1),
        "model": slug,
        "duration_s": duration_s,
        "warmup_s": warmup_s,
        "connections": connections,
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
