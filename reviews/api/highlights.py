"""The model page's "what reviewers say" block (registered with the catalog as a
`DetailBlock`): strengths, limitations and best-for as `reviews.ratings.highlights` stored
them, with links to the reviews each point is drawn from. Rendered from the row the model
page joins: no query."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework import serializers

from config.api import absolute_url
from models_catalog.models import AIModel
from reviews.models import ModelReviewHighlights, UseCase
from reviews.ratings.highlights import GROUPING_METHODS

HIGHLIGHTS_RELATION = "review_highlights"


class ReviewLinkOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The review's public id.")
    url = serializers.URLField(help_text="The review in the API.")


class ReviewPointOutputSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The point, as the first reviewer citing it wrote it.")
    count = serializers.IntegerField(help_text="How many counted reviews say it.")
    phrases = serializers.ListField(
        child=serializers.CharField(), help_text="Phrasings grouped into this point (up to 5)."
    )
    reviews = ReviewLinkOutputSerializer(
        many=True, help_text="Reviews that say it (up to 10; `count` has them all)."
    )


class BestForReviewsOutputSerializer(serializers.Serializer):
    use_case = serializers.ChoiceField(
        choices=UseCase.choices,
        help_text="The use case, one of the review's `use_cases` values (e.g. `coding`).",
    )
    name = serializers.CharField(help_text="Display name of the use case.")
    review_count = serializers.IntegerField(help_text="Counted reviews tagged with it.")
    average = serializers.FloatField(help_text="Mean stars of those reviews.")
    bayesian_average = serializers.FloatField(
        allow_null=True,
        help_text="The use case's Bayesian average (basis `use_case_rating`); null for "
        "`tag_count`.",
    )
    basis = serializers.ChoiceField(
        choices=["use_case_rating", "tag_count"],
        help_text="`use_case_rating`: the use-case rating, with enough tagged reviews to rank "
        "it; `tag_count`: how many reviews are tagged with it, while none has enough.",
    )


class ReviewHighlightsOutputSerializer(serializers.Serializer):
    # A declared field, which DRF takes off the class: not `Field.label`.
    label = serializers.CharField(  # type: ignore[assignment]
        help_text="How to present it, e.g. `From 12 verified reviews`."
    )
    available = serializers.BooleanField(
        help_text="False while the model has fewer counted reviews than `min_reviews`: "
        "nothing is drawn then."
    )
    min_reviews = serializers.IntegerField(help_text="Counted reviews needed to draw anything.")
    review_count = serializers.IntegerField(help_text="Counted reviews when last drawn.")
    reviews_read = serializers.IntegerField(help_text="How many of them (the newest) were read.")
    computed_at = serializers.DateTimeField(allow_null=True, help_text="When last drawn.")
    grouping = serializers.ChoiceField(
        choices=GROUPING_METHODS,
        allow_blank=True,
        help_text="How similar phrases were grouped: `pg_trgm` (PostgreSQL) or `trigram` "
        "(the same measure in Python, on SQLite); empty when not available.",
    )
    strengths = ReviewPointOutputSerializer(
        many=True, help_text="Most cited pros, grouped, most cited first."
    )
    limitations = ReviewPointOutputSerializer(
        many=True, help_text="Most cited cons, grouped, most cited first."
    )
    best_for = BestForReviewsOutputSerializer(many=True, help_text="Best use cases, best first.")


def _link(request: HttpRequest | None, review_id: str) -> dict[str, str]:
    url = absolute_url({"request": request}, "reviews:review-detail", review_id=review_id)
    return {"id": review_id, "url": url}


def _points(request: HttpRequest | None, points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"text": p["text"], "count": p["count"], "phrases": p["phrases"],
         "reviews": [_link(request, r) for r in p["reviews"]]}
        for p in points
    ]  # fmt: skip


def review_highlights_block(model: AIModel, request: HttpRequest | None) -> dict[str, Any]:
    """The block of a model loaded with `select_related("review_highlights")`."""
    row: ModelReviewHighlights | None = getattr(model, HIGHLIGHTS_RELATION, None)
    minimum = settings.REVIEW_HIGHLIGHTS_MIN_REVIEWS
    if row is None:
        return {
            "label": f"Drawn from verified reviews once a model has {minimum}",
            "available": False, "min_reviews": minimum, "review_count": 0, "reviews_read": 0,
            "computed_at": None, "grouping": "", "strengths": [], "limitations": [],
            "best_for": [],
        }  # fmt: skip
    names = dict(UseCase.choices)
    data = {
        "label": f"From {row.review_count} verified reviews",
        "available": True, "min_reviews": minimum, "review_count": row.review_count,
        "reviews_read": row.reviews_read, "computed_at": row.computed_at,
        "grouping": row.grouping,
        "strengths": _points(request, row.strengths),
        "limitations": _points(request, row.limitations),
        "best_for": [{**b, "name": str(names.get(b["use_case"], b["use_case"]))}
                     for b in row.best_for],
    }  # fmt: skip
    return dict(ReviewHighlightsOutputSerializer(data).data)
