"""The rating as the catalog embeds it in each model of its list and page (`rating`).

The catalog cannot import reviews, so `reviews.registrations` gives it `model_rating_brief`
and the relation to join (`RATING_RELATION`); the catalog never names the summary's fields.
The brief itself is `reviews.ratings.types.rating_brief`, one home with the full summary.
"""

from typing import Any

from models_catalog.models import AIModel, Direction
from models_catalog.registry import CompareRow
from reviews.models import SUB_RATINGS, ModelRating
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
    return rows
