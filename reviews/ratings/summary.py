"""From reviews to a summary: the aggregate query, and the maths of `reviews.scoring`.

One grouped query reads everything a summary needs, per (model, model version): counts,
sums, per-star counts, sub-rating sums and counts, usage-verified count, and the sums of
recency weights. A model's totals are the sums of its versions' rows, so one query serves
both the model summary and the per-version ones, for one model or the whole catalog. On
PostgreSQL the same rows come from the running sums the database keeps
(reviews.ratings.sums), a few per model whatever its number of reviews; the scan remains
the source of truth they are checked against, and the path on SQLite.
"""

import datetime as dt
import functools
import operator
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DataError, connection, transaction
from django.db.models import Count, F, FloatField, Func, Q, QuerySet, Sum, Value
from django.db.models.functions import Power
from rest_framework.fields import DateTimeField

from reviews.models import (
    SUB_RATINGS,
    USE_CASE_BITS,
    ModelRatingState,
    ModelSurge,
    Review,
    ReviewStatus,
)
from reviews.ratings.sums import sums_enabled, sums_rows
from reviews.ratings.types import GroupSummary, SubRating
from reviews.scoring import (
    MIN_HALF_LIFE_DAYS,
    RECENCY_EPOCH,
    STARS,
    RatingInputs,
    recency_scale,
    summarise,
)

# The middle of the 1-5 scale: the prior mean while no review counts anywhere.
DEFAULT_PRIOR_MEAN = 3.0
SCORE_FIELDS = ("average", "bayesian_average", "lower_bound", "recent_score")
# What a use-case summary keeps of a group summary.
USE_CASE_FIELDS = ("review_count", "average", "bayesian_average", "lower_bound")


@dataclass(frozen=True)
class RatingParams:
    prior_weight: float
    half_life_days: float
    z: float
    method_version: str


def rating_params() -> RatingParams:
    """The method's parameters from settings. Raises ImproperlyConfigured on a half-life
    too short for epoch-based recency weights to stay finite (see reviews.scoring)."""
    half_life = settings.RATING_HALF_LIFE_DAYS
    if half_life < MIN_HALF_LIFE_DAYS:
        raise ImproperlyConfigured(f"RATING_HALF_LIFE_DAYS must be >= {MIN_HALF_LIFE_DAYS}.")
    return RatingParams(
        prior_weight=settings.RATING_PRIOR_WEIGHT,
        half_life_days=half_life,
        z=settings.RATING_Z,
        method_version=settings.RATING_METHOD_VERSION,
    )


def counted_reviews() -> QuerySet[Review]:
    """The reviews a rating counts: published, without a disclosed conflict of interest, not
    held by a surge (reviews.integrity.surges). A review hidden by reports (hidden with its
    reports still open) keeps counting until a moderator confirms the hiding: reports alone
    never move a rating."""
    visible = Q(status=ReviewStatus.PUBLISHED)
    hidden_by_reports = Q(status=ReviewStatus.HIDDEN, flagged_at__isnull=False)
    return Review.objects.filter(
        visible | hidden_by_reports, conflict_of_interest=False, rating_held=False
    )


class _EpochSeconds(Func):
    """Seconds since 1970 of a datetime column, as a double, on PostgreSQL and SQLite."""

    output_field = FloatField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "EXTRACT(EPOCH FROM %(expressions)s)::double precision"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
        return self.as_sql(compiler, connection, template=template, **extra)


def _recency_weight(half_life_days: float) -> Power:
    """`scoring.recency_weight(published_at, h)` computed per row in SQL: the weight needs no
    stored column, so a changed half-life takes effect at the next recompute."""
    epoch = RECENCY_EPOCH.timestamp()
    exponent = (_EpochSeconds("published_at") - Value(epoch)) / Value(half_life_days * 86400)
    return Power(Value(2.0), exponent, output_field=FloatField())


# PostgreSQL's work_mem for the full rebuild's grouped scan (its transaction only). The
# default 4 MB sorts ~12,000 groups of 22 aggregates on disk at 200,000 reviews; hashed in
# memory (~9 MB per process, 3 processes with the parallel workers) the scan took 0.85 s
# instead of 1.38 s. A model's own recompute has a few hundred groups at most.
REBUILD_WORK_MEM = "32MB"
# A use-case summary (USE_CASE_FIELDS) needs the count, the total and the star counts only:
# the first sums of `_aggregates`, in this order.
_USE_CASE_SUMS = 2 + len(STARS)


def _aggregates(half_life_days: float) -> dict[str, Any]:
    weight = _recency_weight(half_life_days)
    return {
        "count": Count("pk"),  # count, total, stars first: see _USE_CASE_SUMS
        "total": Sum("rating"),
        **{f"star_{star}": Count("pk", filter=Q(rating=star)) for star in STARS},
        "usage_verified": Count("pk", filter=Q(usage_verified=True)),
        "weight_sum": Sum(weight),
        "weighted_total": Sum(weight * F("rating"), output_field=FloatField()),
        **{f"{name}_sum": Sum(name) for name in SUB_RATINGS},
        **{f"{name}_count": Count(name) for name in SUB_RATINGS},
    }


@dataclass
class GroupTotals:
    """Sums over one group of counted reviews (a model, or one version of it)."""

    count: int = 0
    total: int = 0
    stars: dict[int, int] = field(default_factory=lambda: dict.fromkeys(STARS, 0))
    usage_verified: int = 0
    weight_sum: float = 0.0
    weighted_total: float = 0.0
    sub_sums: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUB_RATINGS, 0))
    sub_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUB_RATINGS, 0))

    def add(self, other: "GroupTotals") -> None:
        self.count += other.count
        self.total += other.total
        self.usage_verified += other.usage_verified
        self.weight_sum += other.weight_sum
        self.weighted_total += other.weighted_total
        for star in STARS:
            self.stars[star] += other.stars[star]
        for name in SUB_RATINGS:
            self.sub_sums[name] += other.sub_sums[name]
            self.sub_counts[name] += other.sub_counts[name]

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "GroupTotals":
        return cls(
            count=row["count"],
            total=row["total"] or 0,
            stars={star: row[f"star_{star}"] for star in STARS},
            usage_verified=row["usage_verified"],
            weight_sum=row["weight_sum"] or 0.0,
            weighted_total=row["weighted_total"] or 0.0,
            sub_sums={name: row[f"{name}_sum"] or 0 for name in SUB_RATINGS},
            sub_counts={name: row[f"{name}_count"] for name in SUB_RATINGS},
        )


@dataclass
class ModelTotals:
    """What one recompute read for a model: the change it saw and its review sums."""

    model_id: int
    seq: int = 0
    totals: GroupTotals = field(default_factory=GroupTotals)
    versions: dict[str, GroupTotals] = field(default_factory=dict)
    # Per use case: the counted reviews tagged with it (a review with two tags counts in
    # both); count, total and stars only (all a use-case summary shows)
    use_cases: dict[str, GroupTotals] = field(default_factory=dict)
    # The public notice while the model has an open surge: {"since": ..., "kind": ...}.
    unusual_activity: dict[str, str] | None = None


def _unusual_activity(result: dict[int, "ModelTotals"], model_ids: Collection[int] | None) -> None:
    surges = ModelSurge.objects.filter(state=ModelSurge.State.OPEN)
    if model_ids is not None:
        surges = surges.filter(model_id__in=model_ids)
    for model_id, since, kind in surges.values_list("model_id", "since", "kind"):
        notice = {"since": DateTimeField().to_representation(since), "kind": kind}
        result.setdefault(model_id, ModelTotals(model_id)).unusual_activity = notice


@functools.cache
def _use_cases_of(mask: int) -> tuple[str, ...]:
    """The use cases whose bit is set in a `Review.use_case_mask`."""
    return tuple(use_case for use_case, bit in USE_CASE_BITS.items() if mask & bit)


def _raw_rows(query: QuerySet[Any], *, work_mem: str | None = None) -> list[tuple[Any, ...]]:
    """The rows of a grouped `values_list` query as the driver returns them. Up to ~20,000
    groups on a large catalog (models x versions x tag sets): the ORM's per-value converters
    cost more than the arithmetic here (~0.3 s of a 1.3 s rebuild at 200,000 reviews), and
    counts and sums need none (ints and floats on PostgreSQL and SQLite alike).

    `work_mem` (PostgreSQL, inside a transaction): for this transaction only, so that the
    whole catalog's groups are hashed in memory instead of sorted on disk."""
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        if work_mem and connection.vendor == "postgresql" and connection.in_atomic_block:
            cursor.execute("SELECT set_config('work_mem', %s, true)", [work_mem])
        cursor.execute(sql, params)
        return cursor.fetchall()


def _accumulate(sums: dict[Any, list[Any]], key: Any, values: list[Any]) -> None:
    """Add `values` element-wise into `sums[key]` (plain lists: a GroupTotals per row cost
    ~0.5 s on the same 20,000 rows)."""
    current = sums.get(key)
    sums[key] = values if current is None else list(map(operator.add, current, values))


def scanned_rows(model_ids: Collection[int] | None) -> list[tuple[Any, ...]]:
    """(model_id, use_case_mask, model_version, *sums) per group, by one grouped scan of
    the counted reviews: the source of truth the running sums are checked against."""
    reviews = counted_reviews()
    if model_ids is not None:
        reviews = reviews.filter(model_id__in=model_ids)
    aggregates = _aggregates(rating_params().half_life_days)
    # Grouped by mask before version: most sort comparisons then end on two integers.
    query = (
        reviews.values("model_id", "use_case_mask", "model_version")
        .annotate(**aggregates)
        .order_by()
        .values_list("model_id", "use_case_mask", "model_version", *aggregates)
    )
    work_mem = REBUILD_WORK_MEM if model_ids is None else None
    return _raw_rows(query, work_mem=work_mem)


def _grouped_rows(model_ids: Collection[int] | None, *, scan: bool) -> list[tuple[Any, ...]]:
    """The groups' sums: from the running sums where they are maintained (a few rows per
    model, whatever its number of reviews; reviews.ratings.sums), else (SQLite, sums not
    built for the configured half-life, or `scan`) from a scan of the reviews."""
    if not scan and sums_enabled(rating_params().half_life_days):
        return sums_rows(model_ids)
    return scanned_rows(model_ids)


def model_totals(
    model_ids: Collection[int] | None, *, scan: bool = False
) -> dict[int, ModelTotals]:
    """Review sums of the given models (None: every model), per version and per use case,
    and their open surges' notices, in three queries (and a memory setting for the whole
    catalog's).

    One scan of the counted reviews, grouped by (model, use-case mask, version): a version's
    sums are the sums of its mask groups, a use case's the sums of the groups whose mask has
    its bit (a review with two tags counts in both). At most 2**8 masks per version, in
    practice a few dozen: the grouping adds rows to add up in Python, not a second scan.

    The groups come from the running sums where PostgreSQL maintains them (`scan`: from
    the reviews anyway); both give the same numbers (reviews.ratings.sums).

    `change_seq` is read BEFORE the reviews: whatever the aggregate then sees includes
    every change up to `seq`, so storing it as `computed_seq` never claims too much.
    Models without reviews or state row are absent; use `ModelTotals(model_id)` for them.
    """
    states = ModelRatingState.objects.all()
    if model_ids is not None:
        states = states.filter(model_id__in=model_ids)
    result = {
        model_id: ModelTotals(model_id, seq)
        for model_id, seq in states.values_list("model_id", "change_seq")
    }
    names = list(_aggregates(rating_params().half_life_days))
    versions: dict[tuple[int, str], list[Any]] = {}
    use_cases: dict[tuple[int, str], list[Any]] = {}
    for model_id, mask, version, *values in _grouped_rows(model_ids, scan=scan):
        values = [value or 0 for value in values]  # SUM of no non-null value is NULL
        _accumulate(versions, (model_id, version), values)
        counts = values[:_USE_CASE_SUMS]  # what a use-case summary needs: see below
        for use_case in _use_cases_of(mask):
            _accumulate(use_cases, (model_id, use_case), counts)
    for (model_id, version), values in sorted(versions.items()):
        totals = result.setdefault(model_id, ModelTotals(model_id))
        group = GroupTotals.from_row(dict(zip(names, values, strict=True)))
        totals.versions[version] = group
        totals.totals.add(group)
    for (model_id, use_case), (count, total, *stars) in sorted(use_cases.items()):
        group = GroupTotals(count=count, total=total, stars=dict(zip(STARS, stars, strict=True)))
        result[model_id].use_cases[use_case] = group
    _unusual_activity(result, model_ids)
    return result


def model_totals_isolated(
    model_ids: Collection[int] | None, every_id: Collection[int], *, scan: bool = False
) -> tuple[dict[int, ModelTotals], dict[int, str]]:
    """`model_totals`, but a row the grouped query cannot compute (a value out of range: a
    date that overflows its recency weight) fails only its own model: on a data error the
    query runs again per model (`every_id`: the models concerned), each in a savepoint.
    Returns (totals, {model_id: reason} of the models that failed)."""
    try:
        with transaction.atomic():  # a savepoint: the failed query must not end the caller's
            return model_totals(model_ids, scan=scan), {}
    except DataError:
        pass
    totals: dict[int, ModelTotals] = {}
    failed: dict[int, str] = {}
    for model_id in every_id:
        try:
            with transaction.atomic():
                totals.update(model_totals([model_id], scan=scan))
        except DataError as exc:
            failed[model_id] = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
    return totals, failed


def _group_summary(
    group: GroupTotals, *, prior_mean: float, params: RatingParams, scale: float
) -> dict[str, Any]:
    """The stored JSON of one group: what `GroupSummary.payload()` renders, so the stored row
    is already in output shape."""
    if group.count:
        inputs = RatingInputs(
            count=group.count, total=group.total, distribution=group.stars,
            weight_sum=group.weight_sum, weighted_total=group.weighted_total,
        )  # fmt: skip
        scores = summarise(
            inputs, prior_mean=prior_mean, prior_weight=params.prior_weight, z=params.z,
            scale=scale,
        )  # fmt: skip
    else:
        # No counted review: no scores at all (not the prior), so an unreviewed model is
        # shown as unrated and is neither ranked nor sorted among rated ones.
        scores = dict.fromkeys(SCORE_FIELDS)
    summary = GroupSummary(
        review_count=group.count,
        **scores,
        distribution={str(star): group.stars[star] for star in STARS},
        sub_ratings={
            name: SubRating(
                average=(
                    group.sub_sums[name] / group.sub_counts[name]
                    if group.sub_counts[name]
                    else None
                ),
                count=group.sub_counts[name],
            )
            for name in SUB_RATINGS
        },
        usage_verified_count=group.usage_verified,
    )
    return summary.payload()


def _use_case_summary(
    group: GroupTotals, *, prior_mean: float, params: RatingParams, scale: float
) -> dict[str, Any]:
    """`USE_CASE_FIELDS` of what `_group_summary` gives for the group, computed without the
    rest of a full summary (rendering it was ~0.25 s of a rebuild: a few use cases for every
    model)."""
    inputs = RatingInputs(
        count=group.count, total=group.total, distribution=group.stars,
        weight_sum=group.weight_sum, weighted_total=group.weighted_total,
    )  # fmt: skip
    scores = summarise(
        inputs, prior_mean=prior_mean, prior_weight=params.prior_weight, z=params.z, scale=scale
    )
    return {"review_count": group.count, **{name: scores[name] for name in USE_CASE_FIELDS[1:]}}


def summary_build(
    totals: ModelTotals,
    *,
    prior_mean: float,
    params: RatingParams,
    now: dt.datetime,
    use_case_means: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The values of a `ModelRating` row (but bookkeeping) for `totals` at time `now`.
    Pure: the same inputs give the same values, which `recompute_ratings --check` uses.
    A use case's summary is pulled toward its own prior mean (`use_case_means`), else
    toward `prior_mean`."""
    scale = recency_scale(now, params.half_life_days)
    build = functools.partial(_group_summary, prior_mean=prior_mean, params=params, scale=scale)
    versions = [
        {"model_version": version, **build(group)}
        for version, group in sorted(totals.versions.items())
        if group.count
    ]
    means = use_case_means or {}
    use_cases = {
        use_case: _use_case_summary(
            group, prior_mean=means.get(use_case, prior_mean), params=params, scale=scale
        )
        for use_case, group in sorted(totals.use_cases.items())
        if group.count
    }
    return {
        **build(totals.totals),
        "rating_sum": totals.totals.total,
        "unusual_activity": totals.unusual_activity,
        "versions": versions,
        "use_cases": use_cases,
        "method_version": params.method_version,
    }


def site_totals() -> tuple[int, int]:
    """(sum of ratings, count) over every counted review of every model."""
    result = counted_reviews().aggregate(count=Count("pk"), total=Sum("rating"))
    return result["total"] or 0, result["count"]


def site_use_case_means() -> dict[str, float]:
    """The mean of the counted reviews tagged with each use case that has any (1 query,
    grouped by use-case mask)."""
    sums: dict[str, list[int]] = {}
    rows = (
        counted_reviews()
        .values("use_case_mask")
        .annotate(count=Count("pk"), total=Sum("rating"))
        .order_by()
    )
    for row in rows:
        for use_case in _use_cases_of(row["use_case_mask"]):
            pair = sums.setdefault(use_case, [0, 0])
            pair[0] += row["total"]
            pair[1] += row["count"]
    return {use_case: total / count for use_case, (total, count) in sums.items()}


def use_case_means_of(totals: Mapping[int, ModelTotals]) -> dict[str, float]:
    """The same means from already-read model totals (the full rebuild: no second scan)."""
    sums: dict[str, list[int]] = {}
    for model in totals.values():
        for use_case, group in model.use_cases.items():
            pair = sums.setdefault(use_case, [0, 0])
            pair[0] += group.total
            pair[1] += group.count
    return {use_case: total / count for use_case, (total, count) in sums.items() if count}
