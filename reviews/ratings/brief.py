"""The rating as the catalog embeds it in each model of its list and page (`rating`).

The catalog cannot import reviews, so `reviews.registrations` gives it `rating_brief` and the
relation to join (`RATING_RELATION`); the catalog never names the summary's fields.
"""

from typing import Any

from models_catalog.models import AIModel
from reviews.models import ModelRating

# The reverse relation `ModelRating.model` adds to AIModel, read from the field itself.
RATING_RELATION = ModelRating._meta.get_field("model").related_query_name()
BRIEF_FIELDS = ("review_count", "average", "bayesian_average")
# What a model without a stored summary (never reviewed) shows.
NO_RATING: dict[str, Any] = {
    "review_count": 0,
    "average": None,
    "bayesian_average": None,
    "unusual_activity": None,
}


def rating_brief(rating: ModelRating | None) -> dict[str, Any]:
    """Count, mean and Bayesian average of the stored summary, and the unusual-activity
    notice (reviews.integrity.surges); `NO_RATING` without one."""
    if rating is None:
        return dict(NO_RATING)
    notice = rating.unusual_activity
    return {
        **{name: getattr(rating, name) for name in BRIEF_FIELDS},
        # jsonb keeps no key order: the documented one.
        "unusual_activity": notice and {"since": notice["since"], "kind": notice["kind"]},
    }


def model_rating_brief(model: AIModel) -> dict[str, Any]:
    """`rating_brief` of the summary `model_list` joined: a missing row reads as None, no
    query (the reverse one-to-one raises an AttributeError subclass, which getattr absorbs)."""
    return rating_brief(getattr(model, RATING_RELATION, None))
