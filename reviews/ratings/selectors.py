"""Reads of the rating pipeline's output: a model's stored summary and the methodology.

Side-effect free. A summary is served as stored, never aggregated on read: one query for
the model and its summary (a `select_related` join).
"""

import datetime as dt
import hashlib
from collections.abc import Collection
from dataclasses import dataclass

from django.conf import settings

from models_catalog.models import AIModel
from models_catalog.registry import ModelVersion
from models_catalog.selectors import model_get_by_slug
from reviews.models import ModelRating, RatingPrior
from reviews.ratings.summary import DEFAULT_PRIOR_MEAN, RatingParams, rating_params


@dataclass(frozen=True)
class ModelRatingView:
    model: AIModel
    rating: ModelRating  # unsaved and empty (computed_at None) when never computed

    @classmethod
    def of(cls, model: AIModel) -> "ModelRatingView":
        """The view of a model loaded with `select_related("rating")`."""
        rating = getattr(model, "rating", None)
        return cls(model=model, rating=rating or _empty_rating(model))

    @property
    def last_modified(self) -> dt.datetime | None:
        return self.rating.computed_at

    @property
    def etag(self) -> str:
        """Changes with every stored recompute (and with the method version)."""
        rating = self.rating
        stamp = rating.computed_at.isoformat() if rating.computed_at else "never"
        key = f"{rating.model_id}:{rating.computed_seq}:{stamp}:{rating.method_version}"
        return f'"{hashlib.sha256(key.encode()).hexdigest()[:32]}"'


def _empty_rating(model: AIModel) -> ModelRating:
    rating = ModelRating(model=model, method_version=rating_params().method_version)
    rating.computed_at = None  # type: ignore[assignment]  # never computed
    return rating


def model_rating_get(*, slug: str) -> ModelRatingView:
    """The stored rating summary of the model a slug, alias or variant names (zeros and
    nulls when none was ever computed). One query for an exact slug. Raises ModelNotFound."""
    model = model_get_by_slug(slug, queryset=AIModel.objects.select_related("rating"))
    return ModelRatingView.of(model)


def model_version_list(model: AIModel) -> list[ModelVersion]:
    """The model's versions for its page (registered with the catalog): the current one
    first, then every other version counted reviews name, newest dated slug first; each with
    its counted reviews, from the stored summary (no query for a model loaded with
    `select_related("rating")`, as `model_detail_get` does)."""
    current = model.version_slug or model.slug
    rating = getattr(model, "rating", None)
    counts = {v["model_version"]: v["review_count"] for v in (rating.versions if rating else [])}
    others = sorted((slug for slug in counts if slug != current), reverse=True)
    return [
        ModelVersion(slug=current, current=True, review_count=counts.get(current, 0)),
        *(ModelVersion(slug=slug, current=False, review_count=counts[slug]) for slug in others),
    ]


@dataclass(frozen=True)
class Methodology:
    params: RatingParams
    prior_mean: float
    prior_review_count: int
    prior_computed_at: dt.datetime | None


def rating_methodology_get() -> Methodology:
    """The method's current parameters and the prior mean in use (one query)."""
    prior = RatingPrior.objects.filter(pk=1).first()
    if prior is None:
        return Methodology(rating_params(), DEFAULT_PRIOR_MEAN, 0, None)
    return Methodology(rating_params(), prior.mean, prior.review_count, prior.computed_at)


# --- Use cases ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UseCaseRank:
    use_case: str
    rank: int  # 1 is best; equal scores share a rank
    total: int  # models with enough counted reviews tagged with the use case


def use_case_rank_list(model_ids: Collection[int]) -> dict[int, list[UseCaseRank]]:
    """Each given model's rank per use case, by the use case's lower bound, among the models
    with at least `RATING_USE_CASE_MIN_REVIEWS` counted reviews tagged with it (a model with
    fewer is not ranked on it). Reads the stored summaries only: one query."""
    minimum = settings.RATING_USE_CASE_MIN_REVIEWS
    scores: dict[str, dict[int, float]] = {}
    rows = ModelRating.objects.exclude(use_cases={}).values_list("model_id", "use_cases")
    for model_id, use_cases in rows:
        for use_case, summary in use_cases.items():
            if summary["review_count"] >= minimum and summary["lower_bound"] is not None:
                scores.setdefault(use_case, {})[model_id] = summary["lower_bound"]
    result: dict[int, list[UseCaseRank]] = {model_id: [] for model_id in model_ids}
    for use_case, by_model in sorted(scores.items()):
        for model_id in result.keys() & by_model.keys():
            better = sum(1 for score in by_model.values() if score > by_model[model_id])
            result[model_id].append(UseCaseRank(use_case, better + 1, len(by_model)))
    return result
