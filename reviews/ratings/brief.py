"""The rating as the catalog embeds it in each model of its list and page (`rating`).

The catalog cannot import reviews, so `reviews.registrations` gives it `model_rating_brief`
and the relation to join (`RATING_RELATION`); the catalog never names the summary's fields.
The brief itself is `reviews.ratings.types.rating_brief`, one home with the full summary.
"""

from typing import Any

from models_catalog.models import AIModel, Direction
from models_catalog.registry import CompareRow, RegisteredRank
from reviews.models import SUB_RATINGS, ModelRating, UseCase
from reviews.ratings.selectors import use_case_rank_list
from reviews.ratings.types import SUB_RATING_HELP, rating_brief

# The reverse relation `ModelRating.model` adds to AIModel, read from the field itself.
RATING_RELATION = ModelRating._meta.get_field("model").related_query_name()


def model_rating_brief(model: AIModel) -> dict[str, Any]:
    """`rating_brief` of the summary `model_list` joined: a missing row reads as None, no
    query (the reverse one-to-one raises an AttributeError subclass, which getattr absorbs)."""
    return rating_brief(getattr(model, RATING_RELATION, None))


def model_rating_compare_rows(models: list[AIModel]) -> list[CompareRow]:
    """The rating rows of the side-by-side comparison, from the summaries `model_list`
    joined (no query): counted reviews, Bayesian average, lower bound, then each sub-rating's
    mean. A model never reviewed has 0 reviews and no scores."""
    ratings: list[ModelRating | None] = [getattr(m, RATING_RELATION, None) for m in models]
    higher = Direction.HIGHER_IS_BETTER

    def column(name: str) -> list[Any]:
        return [None if r is None else getattr(r, name) for r in ratings]

    rows = [
        CompareRow("ratings", "review_count", "Counted reviews", higher,
                   [0 if r is None else r.review_count for r in ratings]),
        CompareRow("ratings", "bayesian_average", "Rating, Bayesian average", higher,
                   column("bayesian_average"), "stars"),
        CompareRow("ratings", "lower_bound", "Rating, lower bound (ranking score)", higher,
                   column("lower_bound"), "stars"),
    ]  # fmt: skip
    for name in SUB_RATINGS:
        averages = [None if r is None else r.sub_ratings[name]["average"] for r in ratings]
        label = f"Sub-rating: {SUB_RATING_HELP[name]}"
        rows.append(CompareRow("sub_ratings", name, label, higher, averages, "stars"))
    return rows + _use_case_rows(models, ratings)


def _use_case_label(use_case: str) -> str:
    return str(UseCase(use_case).label).lower()


def _use_case_rows(models: list[AIModel], ratings: list[ModelRating | None]) -> list[CompareRow]:
    """Per use case any compared model has reviews for: its Bayesian average and its rank
    among the models ranked for it (one query, whatever the number of models)."""
    stored = [{} if r is None else r.use_cases for r in ratings]
    use_cases = sorted({name for summaries in stored for name in summaries})
    if not use_cases:
        return []
    ranks = use_case_rank_list([m.pk for m in models])
    rows = []
    for use_case in use_cases:
        label = _use_case_label(use_case)
        averages = [s[use_case]["bayesian_average"] if use_case in s else None for s in stored]
        rows.append(CompareRow("use_cases", use_case, f"Rating for {label}",
                               Direction.HIGHER_IS_BETTER, averages, "stars"))  # fmt: skip
        placed = [{r.use_case: r for r in ranks[m.pk]}.get(use_case) for m in models]
        total = next((p.total for p in placed if p is not None), 0)
        places = [None if p is None else p.rank for p in placed]
        rank_row = CompareRow("use_cases", f"{use_case}_rank", f"Rank for {label}",
                              Direction.LOWER_IS_BETTER, places, f"of {total}")  # fmt: skip
        rows.append(rank_row)
    return rows


def model_use_case_ranks(model: AIModel) -> list[RegisteredRank]:
    """The model's rank per use case it is ranked for, for `ranks/` (one query)."""
    return [
        RegisteredRank(
            measure=f"use_case_{r.use_case}",
            measure_name=f"Rating for {_use_case_label(r.use_case)} (lower bound)",
            rank=r.rank,
            total=r.total,
            direction=Direction.HIGHER_IS_BETTER,
        )
        for r in use_case_rank_list([model.pk])[model.pk]
    ]
