"""`recompute_ratings --check`: recompute in memory and compare with what is stored.

Read-only. Each summary is recomputed with the stored prior and at its own `computed_at`
(the recent score decays with time, so "now" would differ from any stored summary), which
makes a correct stored summary match to floating-point noise: counts must be equal,
floats equal within a relative 1e-9. A model whose data cannot be recomputed (bad data) is
listed as failed, with the reason; the others are still checked.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from models_catalog.models import AIModel
from reviews.models import ModelRating, RatingPrior
from reviews.ratings.summary import (
    DEFAULT_PRIOR_MEAN,
    ModelTotals,
    model_totals_isolated,
    rating_params,
    summary_build,
)


@dataclass(frozen=True)
class RatingDifference:
    slug: str
    fields: list[str]  # the stored fields that differ; ["missing"] when nothing is stored
    error: str = ""  # set when the recompute itself failed (bad data): why


def _same(stored: Any, expected: Any) -> bool:
    if isinstance(stored, float) or isinstance(expected, float):
        if stored is None or expected is None:
            return stored is expected
        return math.isclose(stored, expected, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(expected, dict):
        return (
            isinstance(stored, dict)
            and stored.keys() == expected.keys()
            and all(_same(stored[key], value) for key, value in expected.items())
        )
    if isinstance(expected, list):
        return (
            isinstance(stored, list)
            and len(stored) == len(expected)
            and all(_same(a, b) for a, b in zip(stored, expected, strict=True))
        )
    return stored == expected


def _differences(
    stored: ModelRating | None, totals: ModelTotals, prior_mean: float, use_case_means: Any
) -> list[str]:
    if stored is None:
        # Never computed: right only while no review counts.
        return ["missing"] if totals.totals.count else []
    expected = summary_build(
        totals, prior_mean=prior_mean, params=rating_params(), now=stored.computed_at,
        use_case_means=use_case_means,
    )  # fmt: skip
    return [name for name, value in expected.items() if not _same(getattr(stored, name), value)]


def ratings_check(model_ids: Sequence[int] | None = None) -> list[RatingDifference]:
    """Every model (or the given ones) whose stored summary differs from a recompute of its
    current counted reviews, by slug, with the differing fields. A fixed number of queries."""
    prior = RatingPrior.objects.filter(pk=1).first()
    prior_mean = prior.mean if prior is not None else DEFAULT_PRIOR_MEAN
    use_case_means = prior.use_case_means if prior is not None else {}
    models = AIModel.objects.select_related("rating").order_by("slug")
    if model_ids is not None:
        models = models.filter(pk__in=model_ids)
    every_id = list(models.values_list("pk", flat=True))
    # From the reviews themselves, not the running sums: the summaries' source of truth.
    totals, failed = model_totals_isolated(model_ids, every_id, scan=True)
    differences = []
    for model in models:
        if model.pk in failed:
            differences.append(RatingDifference(model.slug, [], failed[model.pk]))
            continue
        stored = getattr(model, "rating", None)
        model_totals_ = totals.get(model.pk) or ModelTotals(model.pk)
        try:
            fields = _differences(stored, model_totals_, prior_mean, use_case_means)
        except (ArithmeticError, ValueError) as exc:
            differences.append(RatingDifference(model.slug, [], f"{type(exc).__name__}: {exc}"))
            continue
        if fields:
            differences.append(RatingDifference(model.slug, fields))
    return differences
