"""Writing summaries: the conditional store, the one-model recompute and the full rebuild.

Ordering guarantee. A write locks the models' `ModelRating` rows (created empty first if
missing, in primary-key order) and stores a computation only if the change it saw
(`seq`) is at least the stored `computed_seq`. `rating_recompute` and `ratings_rebuild`
take those locks BEFORE reading `change_seq` and the reviews, so two recomputes of a model
run one after the other and the later one reads later data. The stale mark is cleared only
where `change_seq` still equals the `seq` stored: a change that arrived meanwhile keeps it.

Bad data fails one model, never the others: a model whose summary cannot be computed (a
value the formulas overflow on, a score out of range) is left out of the write, keeps its
stale mark, and gets `last_error` / `failed_at` on its ModelRatingState, logged once per
model and reason; everything else is stored.

Lock order: ModelRating rows, then ModelRatingState rows. Review writers lock only the
latter, and clearing skips rows a writer holds (SKIP LOCKED), so a recompute never waits on
a writer that could be waiting on it.
"""

import datetime as dt
import functools
import json
import logging
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from events.services import outbox_record_many
from models_catalog.models import AIModel
from models_catalog.services import model_documents_invalidate
from reviews.models import SCORE_TOLERANCE, ModelRating, ModelRatingState, RatingPrior
from reviews.ratings.cache import rating_cache_refresh
from reviews.ratings.ranks_moved import RANKED_MEASURES, Scores, rank_scores, ranks_moved
from reviews.ratings.summary import (
    DEFAULT_PRIOR_MEAN,
    SCORE_FIELDS,
    ModelTotals,
    model_totals_isolated,
    rating_params,
    site_totals,
    site_use_case_means,
    summary_build,
    use_case_means_of,
)
from reviews.ratings.sums import sums_fold

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
    failed: dict[int, str]  # {model_id: reason} of the models whose recompute failed


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


def summary_values_check(values: dict[str, Any]) -> None:
    """Raise ValueError unless every score of a summary (and of its versions) is a finite
    number within the stored bounds (the database's CHECKs would refuse the whole batch)."""
    for group in [values, *values["versions"]]:
        for name in SCORE_FIELDS:
            score = group[name]
            low = (0.0 if name == "lower_bound" else 1.0) - SCORE_TOLERANCE
            high = 5.0 + SCORE_TOLERANCE
            if score is not None and not (math.isfinite(score) and low <= score <= high):
                version = group.get("model_version")
                where = f" of version {version}" if version else ""
                raise ValueError(f"{name}{where} out of range: {score!r}")


def _computations(
    model_ids: Sequence[int], totals: dict[int, ModelTotals], prior: RatingPrior, now: dt.datetime
) -> tuple[list[RatingComputation], dict[int, str]]:
    """The computations of the models, and {model_id: reason} of those that failed."""
    params = rating_params()
    computations, failed = [], {}
    for model_id in model_ids:
        model = totals.get(model_id) or ModelTotals(model_id)
        try:
            values = summary_build(
                model, prior_mean=prior.mean, params=params, now=now,
                use_case_means=prior.use_case_means,
            )  # fmt: skip
            summary_values_check(values)
        except (ArithmeticError, ValueError) as exc:  # bad data: this model only
            failed[model_id] = f"{type(exc).__name__}: {exc}"
            continue
        computations.append(RatingComputation(model_id, model.seq, now, values))
    return computations, failed


def _compute(
    model_ids: Sequence[int], now: dt.datetime
) -> tuple[list[RatingComputation], dict[int, str]]:
    prior = prior_get_or_create(now=now)
    totals, failed = model_totals_isolated(model_ids, model_ids)
    computations, failed_later = _computations(
        [pk for pk in model_ids if pk not in failed], totals, prior, now
    )
    return computations, {**failed, **failed_later}


def ratings_compute(
    model_ids: Sequence[int], *, now: dt.datetime | None = None
) -> list[RatingComputation]:
    """Summaries of the given models computed in memory (nothing stored): one aggregate
    query plus the change counters and the prior. Store them with `ratings_store`. A model
    whose summary cannot be computed (bad data) is left out."""
    return _compute(model_ids, now or timezone.now())[0]


# --- Failures --------------------------------------------------------------------------


def _failures_record(failed: dict[int, str], now: dt.datetime) -> None:
    """Mark each failed model (`last_error`, `failed_at`; stale, so the sweep retries it)
    and log it once per model and reason, not at every retry."""
    if not failed:
        return
    states = ModelRatingState.objects.filter(pk__in=list(failed))
    known = dict(states.values_list("pk", "last_error"))
    for model_id, reason in sorted(failed.items()):
        if known.get(model_id) != reason:
            logger.warning("rating of model %s not recomputed: %s", model_id, reason)
        ModelRatingState.objects.update_or_create(
            model_id=model_id,
            defaults={"last_error": reason, "failed_at": now},
            create_defaults={
                "last_error": reason, "failed_at": now, "stale": True, "stale_since": now,
            },
        )  # fmt: skip


def _failures_clear(stored: list[int]) -> None:
    recovered = ModelRatingState.objects.filter(pk__in=stored, failed_at__isnull=False).update(
        last_error="", failed_at=None
    )
    if recovered:
        logger.warning("%d model rating(s) recomputed again after a failure", recovered)


# --- Store -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Locked:
    seq: int  # computed_seq
    count: int  # recompute_count
    values: tuple  # CHANGE_FIELDS as stored
    scores: Scores  # what its ranks are ranked by, as stored (ranks_moved)


def summaries_lock(model_ids: Collection[int] | None) -> dict[int, _Locked]:
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
    fields = [*CHANGE_FIELDS, *RANKED_MEASURES, "use_cases"]
    locked = {}
    for pk, seq, count, *values in rows.values_list(
        "pk", "computed_seq", "recompute_count", *fields
    ):
        stored = dict(zip(fields, values, strict=True))
        changes = tuple(stored[name] for name in CHANGE_FIELDS)
        locked[pk] = _Locked(seq, count, changes, rank_scores(stored))
    return locked


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
    _failures_clear(stored)
    if stored:
        # Under the row locks, after the upsert: whose ranks the new values moved.
        moved = ranks_moved(
            [(c.model_id, locked[c.model_id].scores, rank_scores(c.values)) for c in fresh]
        )
        # After commit, so the refresh reads the committed rows; robust: a cache error never
        # stops the transaction's other callbacks (the entries then expire on their own).
        transaction.on_commit(functools.partial(rating_cache_refresh, stored), robust=True)
        # Registered after the refresh, so its after-commit bump runs after it: a document
        # rendered under the new tokens embeds the refreshed rating.
        model_documents_invalidate(stored, ratings=True, ranks_of=moved)
    return stored


@transaction.atomic
def ratings_store(computations: Sequence[RatingComputation]) -> list[int]:
    """Store each computation unless its model's stored summary saw a newer change (then it
    is refused and logged); clear the stale marks it covered. Returns the ids stored."""
    locked = summaries_lock({c.model_id for c in computations})
    return _write(computations, locked)


@transaction.atomic
def rating_recompute(model_id: int) -> bool:
    """Recompute and store one model's summary from its counted reviews (idempotent: the
    source of truth is read, nothing is incremented but the observability counter).
    Returns False, storing nothing, if the model is gone or its data cannot be computed
    (then recorded on its ModelRatingState, see the module docstring)."""
    locked = summaries_lock([model_id])
    if not locked:
        return False
    # Under the row lock: the running sums of the model absorb their pending deltas.
    sums_fold([model_id])
    now = timezone.now()
    computations, failed = _compute([model_id], now)
    _failures_record(failed, now)
    return bool(_write(computations, locked))


@transaction.atomic
def ratings_rebuild(
    model_ids: Sequence[int] | None = None, *, progress: Callable[[str], None] | None = None
) -> RebuildReport:
    """Recompute and store the summaries of the given models (None: every model, after
    refreshing the prior mean) with one grouped aggregate query and bulk upserts.

    Only the full rebuild changes the prior: it rewrites every summary in the same
    transaction, so all stored summaries keep using the stored prior. A model whose data
    cannot be computed is left out (and out of the prior), marked and reported in `failed`;
    the others are stored.
    """
    locked = summaries_lock(model_ids)
    # After the locks: a summary stored while we waited must not look newer than ours.
    now = timezone.now()
    every_id = sorted(locked)
    # Only the models locked above: a model created since is folded by its own recompute.
    sums_fold(every_id)
    totals, failed = model_totals_isolated(None if model_ids is None else every_id, every_id)
    prior = _prior_refresh(totals, now) if model_ids is None else prior_get_or_create(now=now)
    if progress is not None:
        progress(f"prior mean {prior.mean:.4f} over {prior.review_count} reviews")
    computable = [pk for pk in every_id if pk not in failed]
    computations, failed_later = _computations(computable, totals, prior, now)
    failed = {**failed, **failed_later}
    _failures_record(failed, now)
    written = _write(computations, locked, progress)
    with_reviews = sum(1 for c in computations if c.values["review_count"])
    return RebuildReport(len(locked), with_reviews, len(written), prior, failed)
