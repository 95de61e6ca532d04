"""Output serializers of the rating endpoints (there is no rating input: ratings are derived).

Field names are the public contract: review_count, average, bayesian_average, lower_bound,
recent_score, distribution, sub_ratings, usage_verified_count, computed_at, method_version,
versions. Scores are null while no review counts; counts are exact.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews.models import SUB_RATINGS, SurgeKind
from reviews.scoring import STARS

_SUB_RATING_NAMES = {
    "quality": "output quality",
    "speed": "speed",
    "value": "value for money",
    "reliability": "reliability",
    "integration": "ease of integration",
}


class RatingSubRatingOutputSerializer(serializers.Serializer):
    average = serializers.FloatField(
        allow_null=True, help_text="Mean of this sub-rating (1-5); null when nobody gave one."
    )
    count = serializers.IntegerField(help_text="Counted reviews that gave this sub-rating.")


# Built with type(): the field names are the star counts "1" to "5", not identifiers.
RatingDistributionOutputSerializer = type(
    "RatingDistributionOutputSerializer",
    (serializers.Serializer,),
    {
        "__module__": __name__,
        "__doc__": "Counted reviews per star rating.",
        **{
            str(star): serializers.IntegerField(help_text=f"Counted reviews rating {star} of 5.")
            for star in STARS
        },
    },
)

RatingSubRatingsOutputSerializer = type(
    "RatingSubRatingsOutputSerializer",
    (serializers.Serializer,),
    {
        "__module__": __name__,
        "__doc__": "Mean and count of each optional sub-rating.",
        **{
            name: RatingSubRatingOutputSerializer(
                help_text=f"Sub-rating: {_SUB_RATING_NAMES[name]}."
            )
            for name in SUB_RATINGS
        },
    },
)


class _RatingSummaryOutputSerializer(serializers.Serializer):
    review_count = serializers.IntegerField(
        help_text="Counted reviews: published (moderator-verified), without a disclosed "
        "conflict of interest."
    )
    average = serializers.FloatField(
        allow_null=True, help_text="Plain mean of the counted star ratings; null without any."
    )
    bayesian_average = serializers.FloatField(
        allow_null=True,
        help_text="(C·m + Σr) / (C + n): the mean pulled toward the site-wide mean m by C "
        "virtual reviews (see /ratings/methodology/); null without reviews.",
    )
    lower_bound = serializers.FloatField(
        allow_null=True,
        help_text="Lower bound of the mean under a Dirichlet prior over the five stars "
        "(Evan Miller); the score for ranking. Null without reviews.",
    )
    recent_score = serializers.FloatField(
        allow_null=True,
        help_text="Bayesian average with each review weighted 0.5 ** (age / half-life); "
        "null without reviews.",
    )
    distribution = RatingDistributionOutputSerializer(
        help_text='Counted reviews per star: {"1": n, ..., "5": n}.'
    )
    sub_ratings = RatingSubRatingsOutputSerializer(
        help_text="Per sub-rating (quality, speed, value, reliability, integration): mean and "
        "how many reviews gave it."
    )
    usage_verified_count = serializers.IntegerField(
        help_text="Counted reviews whose author's usage a moderator verified."
    )


class VersionRatingOutputSerializer(_RatingSummaryOutputSerializer):
    model_version = serializers.CharField(help_text="The model version the reviews name.")


class UnusualActivityOutputSerializer(serializers.Serializer):
    since = serializers.DateTimeField(help_text="When the surge was detected.")
    kind = serializers.ChoiceField(
        choices=SurgeKind.choices,
        help_text="`review_surge` (many new reviews or new reviewer accounts) or "
        "`report_surge` (many reports).",
    )


class ModelRatingOutputSerializer(_RatingSummaryOutputSerializer):
    computed_at = serializers.DateTimeField(
        allow_null=True, help_text="When the summary was computed; null if never."
    )
    method_version = serializers.CharField(
        help_text="Version of the rating method (formulas and parameters) used."
    )
    unusual_activity = UnusualActivityOutputSerializer(
        allow_null=True,
        help_text="Set while the model shows unusual activity: reviews written since are "
        "shown but not counted until a moderator has looked at them. Null otherwise.",
    )
    versions = VersionRatingOutputSerializer(
        many=True, help_text="The same summary per reviewed model version, by version name."
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
