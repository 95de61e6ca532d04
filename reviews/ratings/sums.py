"""Running sums of the counted reviews, so that a model's recompute is constant-time.

What the grouped query of `summary.model_totals` returns per (model, use-case mask, model
version), kept up to date by the database itself (migration reviews 0011, PostgreSQL only):

    any write to reviews_review (service, admin, bulk .update(), shell, COPY, migration)
      └─ statement trigger, same transaction ──> RatingSumsDelta rows (insert-only)
    rating_recompute (holding the model's ModelRating row lock)
      └─ fold: deltas ──> ModelRatingSums (col = col + delta), then read one small row per
         (mask, version) instead of scanning the reviews
    beat (rating_sums_verify_task, advisory lock): compare every model's sums with the full
      scan, rebuild a drifted model's sums from it, loudly                      this module
    recompute_ratings --check: the same comparison, read-only; exit 1 on a difference

Why a journal and not an UPSERT per change: writers on a hot model would then queue on one
sums row until commit, and two multi-model writers (an account erasure, a bulk update)
touching the same rows in opposite orders would deadlock. Delta rows are only inserted, so
writers never wait on each other; the folds and rebuilds that write the sums hold the
models' ModelRating row locks, taken in primary-key order (reviews.ratings.store).

Exactness: counts and integer sums are integers; the recency sums are `numeric`, and each
review's weight is the same 15-digit number whenever it is added or taken away, so they
cancel exactly (a double sum would keep the rounding of a removed review's large weight).
Against the grouped query's double sums they agree to ~1e-15 relative; `--check` allows
1e-9. A review's weight depends on the half-life: the sums carry the half-life they were
built with (RatingSumsState), and while it is not the configured one they are not used
(the pipeline scans) until `rating_sums_rebuild()` rebuilds them.

SQLite (`make run`, `make test-sqlite`) has no trigger: the pipeline always scans there.
"""

import dataclasses
import logging
import math
from collections.abc import Collection, Sequence
from typing import Any

from django.db import connection

from reviews.models import ModelRatingSums, RatingSumsDelta, RatingSumsState

logger = logging.getLogger(__name__)
KEY = ("model_id", "use_case_mask", "model_version")
# The sums, in the order of `summary._aggregates` (a test keeps the two equal).
SUMS = (
    "count", "total", "star_1", "star_2", "star_3", "star_4", "star_5", "usage_verified",
    "weight_sum", "weighted_total",
    "quality_sum", "speed_sum", "value_sum", "reliability_sum", "integration_sum",
    "quality_count", "speed_count", "value_count", "reliability_count", "integration_count",
)  # fmt: skip
_FLOAT_SUMS = frozenset({"weight_sum", "weighted_total"})
# Floats agree within this relative tolerance (numeric exact sums vs double sums).
REL_TOLERANCE = 1e-9


def sums_enabled(half_life_days: float) -> bool:
    """True if the running sums are maintained and built with this half-life (1 query)."""
    if connection.vendor != "postgresql":
        return False
    state = RatingSumsState.objects.filter(pk=1, building=False).values_list(
        "half_life_days", flat=True
    )
    return list(state) == [half_life_days]


def _ids_array(model_ids: Collection[int] | None) -> list[int] | None:
    return None if model_ids is None else sorted(model_ids)


def sums_fold(model_ids: Collection[int] | None) -> None:
    """Fold the pending deltas of the models (None: all) into their sums. The caller holds
    the models' ModelRating row locks (store.summaries_lock) inside a transaction. Nothing
    to do on SQLite."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT reviews_rating_sums_fold(%s::bigint[])", [_ids_array(model_ids)])


def sums_rows(model_ids: Collection[int] | None, *, drop_empty: bool = True) -> list[tuple]:
    """(model_id, use_case_mask, model_version, *SUMS) per group: the folded sums plus the
    deltas not folded yet, in the layout of the grouped query's rows (recency sums as
    doubles). One statement, so one snapshot of both tables."""
    summed = ", ".join(
        f"SUM({name})::double precision" if name in _FLOAT_SUMS else f"SUM({name})::bigint"
        for name in SUMS
    )
    columns = ", ".join([*KEY, *SUMS])
    where = "" if model_ids is None else "WHERE model_id = ANY(%s)"
    params = [] if model_ids is None else [_ids_array(model_ids)] * 2
    having = "HAVING SUM(count) <> 0" if drop_empty else ""
    sql = (
        f"SELECT {', '.join(KEY)}, {summed} FROM ("  # noqa: S608 (our own constants)
        f"SELECT {columns} FROM {ModelRatingSums._meta.db_table} {where} UNION ALL "
        f"SELECT {columns} FROM {RatingSumsDelta._meta.db_table} {where}"
        f") AS u GROUP BY 1, 2, 3 {having}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def sums_rebuild_models(model_ids: Sequence[int]) -> None:
    """Set the sums of these models to a scan of their counted reviews. The caller holds
    their ModelRating row locks (store.summaries_lock) inside a transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reviews_rating_sums_rebuild(%s::bigint[])", [sorted(model_ids)])


@dataclasses.dataclass(frozen=True)
class SumsDifference:
    model_id: int
    use_case_mask: int
    model_version: str
    fields: list[str]  # the sums that differ (all of them if one side has no group)


def _same(a: Any, b: Any, name: str) -> bool:
    if name in _FLOAT_SUMS:
        return math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=0.0)
    return bool(a == b)


def sums_compare(running: list[tuple], scanned: list[tuple]) -> list[SumsDifference]:
    """The groups whose running sums differ from the scan's (an all-zero group of sums is
    the same as no group)."""
    zero = (0,) * len(SUMS)
    mine = {tuple(row[:3]): tuple(row[3:]) for row in running}
    theirs = {tuple(row[:3]): tuple(v or 0 for v in row[3:]) for row in scanned}
    differences = []
    for key in sorted(mine.keys() | theirs.keys(), key=lambda k: (k[0], k[1], k[2])):
        a, b = mine.get(key, zero), theirs.get(key, zero)
        fields = [name for name, x, y in zip(SUMS, a, b, strict=True) if not _same(x, y, name)]
        if fields:
            model_id, mask, version = key
            differences.append(SumsDifference(model_id, mask, version, fields))
    return differences
