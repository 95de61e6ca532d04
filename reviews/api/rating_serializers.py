"""Output serializers of the rating endpoints (there is no rating input: ratings are derived).

The summary serializers are derived from the summary type (reviews.ratings.types), which
holds the field list, their order and their help texts; they document the body the rating
endpoint serves pre-rendered from that type. Scores are null while no review counts; counts
are exact.
"""

import dataclasses
import datetime as dt
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews.models import SUB_RATINGS
from reviews.ratings.types import (
    BRIEF_FIELDS,
    SUB_RATING_HELP,
    GroupSummary,
    RatingSummary,
    SubRating,
    VersionSummary,
)
from reviews.scoring import STARS


def _serializer(name: str, doc: str | None, declared: dict[str, serializers.Field]) -> type:
    # Built with type(): some field names ("1" to "5") are not identifiers.
    attrs = {"__module__": __name__, "__doc__": doc, **declared}
    return type(name, (serializers.Serializer,), attrs)


def _fields_of(cls: type, nested: dict[str, Any], only: tuple[str, ...] | None = None) -> dict:
    """A DRF field per dataclass field of `cls` (scalars by type; `nested` by name)."""
    scalars: dict[Any, Any] = {
        int: lambda h: serializers.IntegerField(help_text=h),
        float | None: lambda h: serializers.FloatField(allow_null=True, help_text=h),
        str: lambda h: serializers.CharField(help_text=h),
        dt.datetime | None: lambda h: serializers.DateTimeField(allow_null=True, help_text=h),
    }
    result = {}
    for field in dataclasses.fields(cls):
        if only is not None and field.name not in only:
            continue
        text = field.metadata["help"]
        make = nested.get(field.name) or scalars[field.type]
        result[field.name] = make(text)
    return result


RatingSubRatingOutputSerializer = _serializer(
    "RatingSubRatingOutputSerializer", None, _fields_of(SubRating, {})
)
RatingDistributionOutputSerializer = _serializer(
    "RatingDistributionOutputSerializer",
    "Counted reviews per star rating.",
    {
        str(star): serializers.IntegerField(help_text=f"Counted reviews rating {star} of 5.")
        for star in STARS
    },
)
RatingSubRatingsOutputSerializer = _serializer(
    "RatingSubRatingsOutputSerializer",
    "Mean and count of each optional sub-rating.",
    {
        name: RatingSubRatingOutputSerializer(help_text=f"Sub-rating: {SUB_RATING_HELP[name]}.")
        for name in SUB_RATINGS
    },
)
_GROUP_NESTED = {
    "distribution": lambda h: RatingDistributionOutputSerializer(help_text=h),
    "sub_ratings": lambda h: RatingSubRatingsOutputSerializer(help_text=h),
}
VersionRatingOutputSerializer = _serializer(
    "VersionRatingOutputSerializer",
    None,
    _fields_of(VersionSummary, _GROUP_NESTED),
)
ModelRatingOutputSerializer = _serializer(
    "ModelRatingOutputSerializer",
    None,
    _fields_of(
        RatingSummary,
        {
            **_GROUP_NESTED,
            "versions": lambda h: VersionRatingOutputSerializer(many=True, help_text=h),
        },
    ),
)
# The brief a catalog list embeds per model (reviews.ratings.types.rating_brief).
RatingBriefOutputSerializer = _serializer(
    # The component name the catalog's schema has always used for its embedded `rating`.
    "ModelRatingBriefOutputSerializer",
    "Count, mean and Bayesian average of a model's counted reviews.",
    _fields_of(GroupSummary, {}, only=BRIEF_FIELDS),
)


class RatingFormulasOutputSerializer(serializers.Serializer):
    counted = serializers.CharField(help_text="Which reviews count.")
    average = serializers.CharField(help_text="The plain mean.")
    bayesian_average = serializers.CharField(help_text="The Bayesian average.")
    lower_bound = serializers.CharField(help_text="The ranking lower bound.")
    recent_score = serializers.CharField(help_text="The recency-weighted score.")
    prior_mean = serializers.CharField(help_text="How the prior mean m is obtained.")


class RatingMethodologyOutputSerializer(serializers.Serializer):
    method_version = serializers.CharField(
        source="params.method_version", help_text="Stored with every summary computed with it."
    )
    prior_mean = serializers.FloatField(help_text="m: the site-wide mean of counted reviews.")
    prior_review_count = serializers.IntegerField(help_text="Counted reviews behind m.")
    prior_computed_at = serializers.DateTimeField(
        allow_null=True, help_text="When m was last computed; null before the first rating."
    )
    prior_weight = serializers.FloatField(
        source="params.prior_weight", help_text="C: how many virtual reviews of mean m."
    )
    half_life_days = serializers.FloatField(
        source="params.half_life_days", help_text="Age at which a review weighs half."
    )
    z = serializers.FloatField(source="params.z", help_text="z of the lower bound (1.65: 95 %).")
    formulas = serializers.SerializerMethodField(help_text="The formulas, in words and symbols.")

    @extend_schema_field(RatingFormulasOutputSerializer)
    def get_formulas(self, methodology: object) -> dict[str, str]:
        return RatingFormulasOutputSerializer(FORMULAS).data


FORMULAS = {
    "counted": "Published reviews (each verified by a moderator), excluding reviews whose "
    "author disclosed an affiliation with the model's provider.",
    "average": "Σr / n over the counted star ratings r.",
    "bayesian_average": "(C·m + Σr) / (C + n).",
    "lower_bound": "Dirichlet(1, …, 1) prior over the five stars: N = n + 5, "
    "p_k = (n_k + 1) / N, S = Σ k·p_k, LB = S - z·√((Σ k²·p_k - S²) / (N + 1)).",
    "recent_score": "(C·m + Σ w·r) / (C + Σ w) with w = 0.5 ** (age_days / half_life_days).",
    "prior_mean": "m = mean of all counted reviews of all models, refreshed daily with every "
    "summary; 3.0 (the middle of the scale) while there is none.",
}
