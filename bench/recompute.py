"""Step 3: the cost of recomputing ratings.

`recompute_ratings` over every model beside its floor, the bare SQL `GROUP BY` that reads
the same aggregates from the same table and does nothing else; then one model's recompute
(`reviews.ratings.rating_recompute`) on models of growing size (the dataset's ladder).
"""

import functools
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

from bench.profiling import profile
from bench.progress import BenchError, say

SUB_RATINGS = ("quality", "speed", "value", "reliability", "integration")
# The counted reviews (reviews.ratings.summary.counted_reviews), in plain SQL.
COUNTED_WHERE = (
    "(status = 'published' OR (status = 'hidden' AND flagged_at IS NOT NULL)) "
    "AND NOT conflict_of_interest AND NOT rating_held"
)


class _Discard:
    def write(self, *_: Any) -> None:
        pass

    def flush(self) -> None:
        pass


def _weight_sql() -> str:
    """The recency weight per row, the same expression as the pipeline's (no stored column)."""
    from reviews.scoring import RECENCY_EPOCH

    half_life_s = float(settings.RATING_HALF_LIFE_DAYS) * 86400
    return (
        f"power(2.0::double precision, (extract(epoch FROM published_at)::double precision - "
        f"{RECENCY_EPOCH.timestamp()}) / {half_life_s})"
    )


def group_by_sql(*, by_version: bool = False, minimal: bool = False) -> str:
    """The floor: every aggregate a summary needs (counts, sums, stars, sub-ratings, usage
    verified, recency-weighted sums) in one grouped scan, and nothing else. `minimal`: only
    count and sum, for scale."""
    weight = _weight_sql()
    parts = ["count(*)", "sum(rating)"]
    if not minimal:
        parts += [
            *(f"count(*) FILTER (WHERE rating = {star})" for star in range(1, 6)),
            *(f"sum({name}), count({name})" for name in SUB_RATINGS),
            "count(*) FILTER (WHERE usage_verified)",
            f"sum({weight})",
            f"sum({weight} * rating)",
        ]
    keys = "model_id, model_version" if by_version else "model_id"
    return (
        f"SELECT {keys}, {', '.join(parts)} FROM reviews_review "  # noqa: S608 (constants)
        f"WHERE {COUNTED_WHERE} GROUP BY {keys}"
    )


def _run_sql(sql: str) -> int:
    """Run the floor with the memory the rebuild gives its own grouped scan
    (`REBUILD_WORK_MEM`, for the transaction only): the ratio then compares the same SQL
    work under the same settings, not a sort on disk with one in memory."""
    from reviews.ratings.summary import REBUILD_WORK_MEM

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, true)", [REBUILD_WORK_MEM])
        cursor.execute(sql)
        return len(cursor.fetchall())


def recompute_all() -> None:
    call_command("recompute_ratings", stdout=_Discard(), stderr=_Discard())


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _median(fn: Callable[[], Any], repeats: int) -> tuple[float, list[float]]:
    runs = [timed(fn) for _ in range(repeats)]
    return statistics.median(runs), runs


def _recompute_fn() -> Callable[[int], Any]:
    try:
        from reviews.ratings import rating_recompute
    except ImportError as exc:
        raise BenchError("reviews.ratings.rating_recompute is missing (issue 5)") from exc
    return rating_recompute


def ladder_timings(ladder: list[dict[str, Any]], repeats: int) -> list[dict[str, Any]]:
    recompute = _recompute_fn()
    out = []
    for rung in ladder:
        runs = []
        # rating_recompute always reads and writes (it does not skip a model that is not
        # stale), so each run is a full recompute; the first warms the cache and is dropped.
        for _ in range(repeats + 1):
            runs.append(timed(functools.partial(recompute, rung["model_id"])))
        seconds = statistics.median(runs[1:])
        out.append({**rung, "seconds": round(seconds, 4), "runs_s": [round(r, 4) for r in runs]})
        say(
            f"  one model, {rung['reviews']:,} reviews ({rung['counted']:,} counted): "
            f"{seconds * 1000:.1f} ms"
        )
    return out


def recompute_step(ladder: list[dict[str, Any]], repeats: int) -> dict[str, Any]:
    floor_sql = group_by_sql()
    # Warm both first: each then reads the same pages from the same buffer cache.
    _run_sql(floor_sql)
    recompute_all()
    all_s, all_runs = _median(recompute_all, repeats)
    floor_s, floor_runs = _median(lambda: _run_sql(floor_sql), repeats)
    version_s, _ = _median(lambda: _run_sql(group_by_sql(by_version=True)), repeats)
    minimal_s, _ = _median(lambda: _run_sql(group_by_sql(minimal=True)), repeats)
    say(
        f"  recompute_ratings {all_s:.3f} s vs bare GROUP BY {floor_s:.3f} s "
        f"(ratio {all_s / floor_s:.2f}; GROUP BY model+version {version_s:.3f} s)"
    )
    return {
        "recompute_ratings_s": round(all_s, 4),
        "recompute_ratings_runs_s": [round(r, 4) for r in all_runs],
        "group_by_s": round(floor_s, 4),
        "group_by_runs_s": [round(r, 4) for r in floor_runs],
        "group_by_with_versions_s": round(version_s, 4),
        "group_by_count_sum_only_s": round(minimal_s, 4),
        "ratio": round(all_s / floor_s, 3) if floor_s else None,
        # The summaries are per model AND per model version: this GROUP BY reads exactly the
        # aggregates they need, so it is the tighter floor for what recompute_ratings does.
        "ratio_vs_group_by_with_versions": round(all_s / version_s, 3) if version_s else None,
        "group_by_sql": floor_sql,
        "ladder": ladder_timings(ladder, repeats),
        "profile": profile(recompute_all),
    }
