"""Writing summaries: the conditional store, the one-model recompute and the full rebuild.

Ordering guarantee. A write locks the models' `ModelRating` rows (created empty first if
missing, in primary-key order) and stores a computation only if the change it saw
(`seq`) is at least the stored `computed_seq`. `rating_recompute` and `ratings_rebuild`
take those locks BEFORE reading `change_seq` and the reviews, so two recomputes of a model
run one after the other and the later one reads later data. The stale mark is cleared only
where `change_seq` still equals the `seq` stored: a change that arrived meanwhile keeps it.

Lock order: ModelRating rows, then ModelRatingState rows. Review writers lock only the
latter, and clearing skips rows a writer holds (SKIP LOCKED), so a recompute never waits on
a writer that could be waiting on it.
"""

import datetime as dt
import functools
import json
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from events.services import outbox_record_many
from models_catalog.models import AIModel
from reviews.models import ModelRating, ModelRatingState, RatingPrior
from reviews.ratings.cache import rating_cache_refresh
from reviews.ratings.summary import (
    DEFAULT_PRIOR_MEAN,
    ModelTotals,
    model_totals,
    rating_params,
    site_totals,
    site_use_case_means,
    summary_build,
    use_case_means_of,
)

logger = logging.getLogger(__name__)
WRITE_BATCH = 500
# Everything a computation writes; `recompute_count` is bumped under the row lock.
WRITE_FIELDS = [
    "review_count", "rating_sum", "average", "bayesian_average", "lower_bound", "recent_score",
    "distribution", "sub_ratings", "usage_verified_count", "unusual_activity", "versions",
    "use_cases", "method_version",
    "computed_at", "computed_seq", "recompute_count",
]  # fmt: skip
# The values whose change is a `rating.changed` event (outbox). Not `recent_score`: it decays
# with time, so the daily refresh would report every rated model every day.
CHANGE_FIELDS = ("review_count", "average", "bayesian_average", "lower_bound")
RATING_CHANGED = "rating.changed"


@dataclass(frozen=True)
class RatingComputation:
    """A summary computed in memory: the change it saw (`seq`), when, and the row values."""

    model_id: int
    seq: int
    computed_at: dt.datetime
    values: dict[str, Any]


@dataclass(frozen=True)
class RebuildReport:
    models: int
    with_reviews: int
    written: int
    prior: RatingPrior


# --- The prior -------------------------------------------------------------------------


def _prior_row(
    total: int, count: int, now: dt.datetime, use_case_means: dict[str, float]
) -> RatingPrior:
    mean = total / count if count else DEFAULT_PRIOR_MEAN
    return RatingPrior(
        pk=1, mean=mean, review_count=count, use_case_means=use_case_means, computed_at=now
    )


def prior_get_or_create(*, now: dt.datetime | None = None) -> RatingPrior:
    """The stored prior; on first use, created from the reviews counted now."""
    prior = RatingPrior.objects.filter(pk=1).first()
    if prior is None:
        row = _prior_row(*site_totals(), now or timezone.now(), site_use_case_means())
        # Two first uses at once: one INSERT wins, the other is ignored, both read the winner.
        RatingPrior.objects.bulk_create([row], ignore_conflicts=True)
        prior = RatingPrior.objects.get(pk=1)
    return prior


def _prior_refresh(totals: dict[int, ModelTotals], now: dt.datetime) -> RatingPrior:
    # The site-wide sums are the sums of every model's: no second scan of the reviews.
    total = sum(model.totals.total for model in totals.values())
    count = sum(model.totals.count for model in totals.values())
    prior = _prior_row(total, count, now, use_case_means_of(totals))
    RatingPrior.objects.bulk_create(
        [prior],
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=["mean", "review_count", "use_case_means", "computed_at"],
    )
    return prior


# --- Compute (reads only, apart from creating the prior on first use) -------------------


def _computations(
    model_ids: Sequence[int], totals: dict[int, ModelTotals], prior: RatingPrior, now: dt.datetime
) -> list[RatingComputation]:
    params = rating_params()
    computations = []
    for model_id in model_ids:
        model = totals.get(model_id) or ModelTotals(model_id)
        values = summary_build(
            model, prior_mean=prior.mean, params=params, now=now,
            use_case_means=prior.use_case_means,
        )  # fmt: skip
        computations.append(RatingComputation(model_id, model.seq, now, values))
    return computations


def ratings_compute(
    model_ids: Sequence[int], *, now: dt.datetime | None = None
) -> list[RatingComputation]:
    """Summaries of the given models computed in memory (nothing stored): one aggregate
    query plus the change counters and the prior. Store them with `ratings_store`."""
    now = now or timezone.now()
    prior = prior_get_or_create(now=now)
    return _computations(model_ids, model_totals(model_ids), prior, now)


# --- Store -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Locked:
    seq: int  # computed_seq
    count: int  # recompute_count
    values: tuple  # CHANGE_FIELDS as stored


def _lock(model_ids: Collection[int] | None) -> dict[int, _Locked]:
    """Create missing ModelRating rows and lock the rows of the given models (None: all),
    in primary-key order. Returns what is stored of each, by model id; models that no
    longer exist are left out."""
    models = (
        AIModel.objects.all() if model_ids is None else AIModel.objects.filter(pk__in=model_ids)
    )
    existing = list(models.order_by("pk").values_list("pk", flat=True))
    have = set(ModelRating.objects.filter(pk__in=existing).values_list("pk", flat=True))
    # An empty row is overwritten before this transaction commits; ignore_conflicts makes
    # a concurrent creator's INSERT win (we then wait for and lock its row).
    ModelRating.objects.bulk_create(
        [ModelRating(model_id=pk) for pk in existing if pk not in have],
        batch_size=WRITE_BATCH,
        ignore_conflicts=True,
    )
    rows = ModelRating.objects.select_for_update().filter(pk__in=existing).order_by("pk")
    return {
        pk: _Locked(seq, count, tuple(values))
        for pk, seq, count, *values in rows.values_list(
            "pk", "computed_seq", "recompute_count", *CHANGE_FIELDS
        )
    }


def _stale_clear(seqs: dict[int, int]) -> None:
    """Clear the stale mark of each model whose `change_seq` is still the one stored."""
    if not seqs:
        return
    # SKIP LOCKED: a row locked now belongs to a writer whose change bumps `change_seq`, so
    # it stays stale anyway; waiting for it could deadlock with a multi-model writer. The
    # rows read are locked until commit, so the `change_seq` compared below cannot move.
    claimed = ModelRatingState.objects.select_for_update(skip_locked=True).filter(
        model_id__in=list(seqs), stale=True
    )
    seen = [pk for pk, seq in claimed.values_list("pk", "change_seq") if seqs[pk] == seq]
    ModelRatingState.objects.filter(pk__in=seen).update(stale=False, stale_since=None)


def _column(field: Field) -> tuple[str, str]:
    """A concrete field's column and its type without modifiers (varchar, not varchar(32)):
    only for reading the JSON record."""
    db_type = field.db_type(connection)
    if field.column is None or db_type is None:
        raise TypeError(f"{field} has no database column")
    return field.column, db_type.split("(")[0]


def _datetime_iso(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} has no place in a rating summary")


def _upsert(rows: list[ModelRating]) -> None:
    """INSERT ... ON CONFLICT DO UPDATE of whole summaries. On PostgreSQL the rows travel as
    one JSON document read by `jsonb_to_recordset`: Django's bulk_create would send each
    column as an array, and escaping the JSON columns element by element cost more than the
    SQL itself (bench/, recompute profile)."""
    if connection.vendor != "postgresql":
        ModelRating.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["model"], update_fields=WRITE_FIELDS
        )
        return
    concrete = {f.name: f for f in ModelRating._meta.concrete_fields}
    fields = [concrete[name] for name in ["model", *WRITE_FIELDS]]
    quote = connection.ops.quote_name
    typed = [(quote(column), db_type) for column, db_type in map(_column, fields)]
    columns = [column for column, _ in typed]
    names = ", ".join(columns)
    record = ", ".join(f"{column} {db_type}" for column, db_type in typed)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in columns[1:])
    document = json.dumps(
        [{f.column: getattr(row, f.attname) for f in fields} for row in rows],
        default=_datetime_iso,
        allow_nan=False,  # PostgreSQL's JSON has no NaN: fail here, naming the cause
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(ModelRating._meta.db_table)} ({names}) "  # noqa: S608
            f"SELECT {names} FROM jsonb_to_recordset(%s::jsonb) AS r({record}) "
            f"ON CONFLICT ({columns[0]}) DO UPDATE SET {updates}",
            [document],
        )


def _changed_record(fresh: Sequence[RatingComputation], locked: dict[int, _Locked]) -> None:
    """A `rating.changed` outbox event per model whose shown values changed (one batch)."""
    payloads = []
    for c in fresh:
        values = tuple(c.values[name] for name in CHANGE_FIELDS)
        if values != locked[c.model_id].values:
            payloads.append(
                {"model_id": c.model_id, **dict(zip(CHANGE_FIELDS, values, strict=True))}
            )
    outbox_record_many(RATING_CHANGED, payloads)


def _write(
    computations: Sequence[RatingComputation],
    locked: dict[int, _Locked],
    progress: Callable[[str], None] | None = None,
) -> list[int]:
    # `>=`: the same change stored again is an idempotent rerun; a smaller seq is older.
    fresh = [c for c in computations if c.model_id in locked and c.seq >= locked[c.model_id].seq]
    for refused in {c.model_id for c in computations} - {c.model_id for c in fresh}:
        logger.info("rating of model %s not stored: a newer summary is stored", refused)
    for start in range(0, len(fresh), WRITE_BATCH):
        batch = fresh[start : start + WRITE_BATCH]
        rows = [
            ModelRating(
                model_id=c.model_id, computed_at=c.computed_at, computed_seq=c.seq,
                recompute_count=locked[c.model_id].count + 1, **c.values,
            )
            for c in batch
        ]  # fmt: skip
        _upsert(rows)
        if progress is not None:
            progress(f"stored {start + len(batch)} of {len(fresh)} summaries")
    for start in range(0, len(fresh), WRITE_BATCH):
        _stale_clear({c.model_id: c.seq for c in fresh[start : start + WRITE_BATCH]})
    _changed_record(fresh, locked)
    stored = [c.model_id for c in fresh]
    if stored:
        # After commit, so the refresh reads the committed rows; robust: a cache error never
        # stops the transaction's other callbacks (the entries then expire on their own).
        transaction.on_commit(functools.partial(rating_cache_refresh, stored), robust=True)
    return stored


@transaction.atomic
def ratings_store(computations: Sequence[RatingComputation]) -> list[int]:
    """Store each computation unless its model's stored summary saw a newer change (then it
    is refused and logged); clear the stale marks it covered. Returns the ids stored."""
    locked = _lock({c.model_id for c in computations})
    return _write(computations, locked)


@transaction.atomic
def rating_recompute(model_id: int) -> bool:
    """Recompute and store one model's summary from its counted reviews (idempotent: the
    source of truth is read, nothing is incremented but the observability counter).
    Returns False, storing nothing, if the model is gone."""
    locked = _lock([model_id])
    if not locked:
        return False
    return bool(_write(ratings_compute([model_id]), locked))


@transaction.atomic
def ratings_rebuild(
    model_ids: Sequence[int] | None = None, *, progress: Callable[[str], None] | None = None
) -> RebuildReport:
    """Recompute and store the summaries of the given models (None: every model, after
    refreshing the prior mean) with one grouped aggregate query and bulk upserts.

    Only the full rebuild changes the prior: it rewrites every summary in the same
    transaction, so all stored summaries keep using the stored prior.
    """
    locked = _lock(model_ids)
    # After the locks: a summary stored while we waited must not look newer than ours.
    now = timezone.now()
    totals = model_totals(None if model_ids is None else list(locked))
    prior = _prior_refresh(totals, now) if model_ids is None else prior_get_or_create(now=now)
    if progress is not None:
        progress(f"prior mean {prior.mean:.4f} over {prior.review_count} reviews")
    computations = _computations(sorted(locked), totals, prior, now)
    written = _write(computations, locked, progress)
    with_reviews = sum(1 for c in computations if c.values["review_count"])
    return RebuildReport(len(locked), with_reviews, len(written), prior)
