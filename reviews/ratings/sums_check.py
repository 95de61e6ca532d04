"""The periodic proof of the running sums: compare them with the full scan, repair drift.

`rating_sums_check` is read-only (`recompute_ratings --check`); `rating_sums_verify` is the
beat task's body: it also rebuilds a drifted model's sums from the scan (logged as an
error: drift means a write path the trigger missed, or a bug) and marks its rating stale so
the stored summary is recomputed from the repaired sums.

None of it holds review writers off: the check reads one REPEATABLE READ snapshot (a writer
journals its delta in its own transaction, so the snapshot sees both or neither: no false
difference); a repair, and the rebuild of unusable sums (`rating_sums_rebuild_online`), go
model by model under the models' ModelRating row locks, which writers do not take. Only
`rating_sums_rebuild` (setup, bulk loads) takes a SHARE lock on the reviews for its scan.
"""

import logging
from collections.abc import Collection
from dataclasses import dataclass, field

from django.db import DataError, connection, transaction
from django.utils import timezone

from models_catalog.models import AIModel
from reviews.models import ModelRatingSums, RatingSumsState
from reviews.ratings.stale import rating_mark_stale
from reviews.ratings.store import summaries_lock
from reviews.ratings.summary import rating_params, scanned_rows
from reviews.ratings.sums import (
    SumsDifference,
    sums_compare,
    sums_enabled,
    sums_rebuild_models,
    sums_rows,
)

logger = logging.getLogger(__name__)
REBUILD_BATCH = 50  # models per short transaction of the online rebuild
# How long the online rebuild's switch waits for the writers in flight (its SHARE lock
# queues the writers that come after it meanwhile); past it, the next verify tries again.
SWITCH_LOCK_TIMEOUT = "5s"


@dataclass(frozen=True)
class SumsReport:
    maintained: bool  # False on SQLite: nothing to check
    problem: str = ""  # sums not usable at all (not built, or for another half-life)
    differences: list[SumsDifference] = field(default_factory=list)
    # {model_id: reason} of models whose data cannot be read (as `ratings_check` lists them)
    failed: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problem and not self.differences


def _both_rows(model_ids: Collection[int] | None) -> tuple[list[tuple], list[tuple]]:
    """The running sums and the scan, read from one snapshot (REPEATABLE READ) when we own
    the transaction, so a writer committing in between is no false difference."""
    if connection.in_atomic_block:
        with transaction.atomic():  # a savepoint: a DataError must not end the caller's
            return sums_rows(model_ids, drop_empty=False), scanned_rows(model_ids)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return sums_rows(model_ids, drop_empty=False), scanned_rows(model_ids)


def rating_sums_check(model_ids: Collection[int] | None = None) -> SumsReport:
    """Compare the running sums of the models (None: all) with a full grouped scan of their
    counted reviews. Read-only."""
    if connection.vendor != "postgresql":
        return SumsReport(maintained=False)
    half_life = rating_params().half_life_days
    if not sums_enabled(half_life):
        built = RatingSumsState.objects.filter(pk=1).values_list("half_life_days", flat=True)
        problem = (
            f"built for a half-life of {built[0]} days, configured {half_life}"
            if built
            else "not built"
        )
        if built and RatingSumsState.objects.filter(pk=1, building=True).exists():
            problem = f"being rebuilt (half-life {built[0]} days)"
        return SumsReport(maintained=True, problem=problem)
    try:
        running, scanned = _both_rows(model_ids)
    except DataError:
        return _check_each(model_ids)
    return SumsReport(maintained=True, differences=sums_compare(running, scanned))


def _check_each(model_ids: Collection[int] | None) -> SumsReport:
    """The check model by model, each in a savepoint: a model whose sums cannot be read as
    doubles (a row forced in past the constraints; its scan fails too) fails alone."""
    every_id = model_ids if model_ids is not None else AIModel.objects.values_list("pk", flat=True)
    differences, failed = [], {}
    for model_id in sorted(every_id):
        try:
            running, scanned = _both_rows([model_id])
        except DataError as exc:
            failed[model_id] = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:160]}"
            continue
        differences += sums_compare(running, scanned)
    return SumsReport(maintained=True, differences=differences, failed=failed)


@transaction.atomic
def rating_sums_rebuild(*, half_life_days: float | None = None) -> None:
    """Rebuild every model's sums from a full scan of the counted reviews, with the
    configured half-life (or `half_life_days`), and enable them. Holds off review writers
    for the scan (SHARE lock on the reviews; reads go on): for setup, a changed half-life,
    or after a bulk load that ran with the trigger disabled
    (`ALTER TABLE reviews_review DISABLE TRIGGER USER`, then this). PostgreSQL only."""
    half_life = half_life_days or rating_params().half_life_days
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE reviews_review IN SHARE MODE")
        # EXCLUSIVE on the sums: wait for folds in flight, whose locks we do not take here.
        cursor.execute(f"LOCK TABLE {ModelRatingSums._meta.db_table} IN EXCLUSIVE MODE")
    RatingSumsState.objects.update_or_create(
        pk=1,
        defaults={"half_life_days": half_life, "rebuilt_at": timezone.now(), "building": False},
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT reviews_rating_sums_rebuild(NULL)")
    logger.info("rating sums rebuilt from the reviews (half-life %s days)", half_life)


def rating_sums_rebuild_online(
    *, half_life_days: float | None = None, batch: int = REBUILD_BATCH
) -> None:
    """Rebuild every model's sums with the configured half-life (or `half_life_days`) while
    reviews are written: the daily verify's rebuild of unusable sums (a changed half-life,
    never built, or a rebuild cut short). PostgreSQL only; not inside a transaction.

    1. The switch, one short transaction: wait for the writers in flight (SHARE lock: they
       journaled with the old half-life, or not at all), then set the new half-life, marked
       `building` (the pipeline scans meanwhile). Every later write journals with it.
    2. Model by model (`batch` per transaction, under their ModelRating row locks, as a
       fold): one statement sets the sums to a scan and drops the deltas its snapshot sees;
       a writer it does not see keeps its delta for the next fold. A model created since
       has only deltas of the new half-life.
    3. `building` off: the sums are used again."""
    if connection.in_atomic_block:
        raise RuntimeError("rating_sums_rebuild_online runs its own transactions")
    half_life = half_life_days or rating_params().half_life_days
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{SWITCH_LOCK_TIMEOUT}'")
            cursor.execute("LOCK TABLE reviews_review IN SHARE MODE")
        RatingSumsState.objects.update_or_create(
            pk=1,
            defaults={"half_life_days": half_life, "rebuilt_at": timezone.now(), "building": True},
        )
    every_id = list(AIModel.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(every_id), batch):
        with transaction.atomic():
            sums_rebuild_models(sorted(summaries_lock(every_id[start : start + batch])))
    # Only if no other switch (another half-life) came in between.
    RatingSumsState.objects.filter(pk=1, half_life_days=half_life, building=True).update(
        building=False, rebuilt_at=timezone.now()
    )
    logger.info("rating sums rebuilt online from the reviews (half-life %s days)", half_life)


@transaction.atomic
def rating_sums_repair(model_ids: Collection[int]) -> None:
    """Set the models' sums to a scan of their reviews (under their ModelRating row locks)
    and mark their ratings stale, so the stored summaries are recomputed from them."""
    locked = summaries_lock(model_ids)
    sums_rebuild_models(sorted(locked))
    for model_id in sorted(locked):
        rating_mark_stale(model_id)


def rating_sums_verify() -> SumsReport:
    """Check every model's running sums; rebuild them all if unusable, or the drifted
    models' from the scan. Logs an error for each drifted group. Returns the check."""
    report = rating_sums_check()
    if not report.maintained or report.ok:
        return report
    if report.problem:
        logger.error("rating sums %s: rebuilding them from the reviews", report.problem)
        rating_sums_rebuild_online()
        return report
    for diff in report.differences:
        logger.error(
            "rating sums drifted: model %s, version %r, use-case mask %s: %s differ from "
            "the reviews; rebuilding the model's sums",
            diff.model_id, diff.model_version, diff.use_case_mask, ", ".join(diff.fields),
        )  # fmt: skip
    rating_sums_repair({diff.model_id for diff in report.differences})
    return report
