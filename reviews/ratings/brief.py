"""The rating as the catalog embeds it in each model of its list and page (`rating`).

The catalog cannot import reviews, so `reviews.registrations` gives it `model_rating_brief`
and the relation to join (`RATING_RELATION`); the catalog never names the summary's fields.
The brief itself is `reviews.ratings.types.rating_brief`, one home with the full summary.
"""

from typing import Any

from models_catalog.models import AIModel
from reviews.models import ModelRating
from reviews.ratings.types import rating_brief

# The reverse relation `ModelRating.model` adds to AIModel, read from the field itself.
RATING_RELATION = ModelRating._meta.get_field("model").related_query_name()


def model_rating_brief(model: AIModel) -> dict[str, Any]:
    """`rating_brief` of the summary `model_list` joined: a missing row reads as None, no
    query (the reverse one-to-one raises an AttributeError subclass, which getattr absorbs)."""
    return rating_brief(getattr(model, RATING_RELATION, None))
