"""Output serializers of the rating endpoints (there is no rating input: ratings are derived).

Field names are the public contract: review_count, average, bayesian_average, lower_bound,
recent_score, distribution, sub_ratings, usage_verified_count, computed_at, method_version,
versions. Scores are null while no review counts; counts are exact.
"""

from typing import Any

from django.conf import settings
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
        "conflict of interest, not held by a surge (see /ratings/methodology/)."
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


class IntegrityParametersOutputSerializer(serializers.Serializer):
    standing_min_account_days = serializers.IntegerField(help_text="Account age for standing.")
    reporters_to_hide = serializers.IntegerField(
        help_text="Reporters with standing whose reports together hide a review at once."
    )
    surge_window_seconds = serializers.IntegerField(help_text="The recent window.")
    surge_baseline_days = serializers.IntegerField(help_text="The baseline before it.")
    surge_multiplier = serializers.FloatField(help_text="Times the baseline rate.")
    surge_min_reviews = serializers.IntegerField(help_text="Floor: new reviews in the window.")
    surge_min_new_account_reviews = serializers.IntegerField(
        help_text="Floor: new reviews by new accounts in the window."
    )
    surge_min_reports = serializers.IntegerField(help_text="Floor: reports in the window.")
    new_account_days = serializers.IntegerField(help_text="Younger accounts are new.")
    similarity_threshold = serializers.FloatField(help_text="pg_trgm similarity flagged.")
    ring_min_accounts = serializers.IntegerField(help_text="Accounts that make a ring.")
    ring_joined_seconds = serializers.IntegerField(help_text="Created within this of each other.")


class RatingIntegrityOutputSerializer(serializers.Serializer):
    reporter_standing = serializers.CharField(help_text="Whose reports hide a review.")
    hidden_by_reports = serializers.CharField(help_text="Hidden reviews and the rating.")
    surges = serializers.CharField(help_text="Unusual activity and its notice.")
    flags = serializers.CharField(help_text="Near-duplicate and ring signals.")
    reviewer_facts = serializers.CharField(help_text="What each review shows of its author.")
    parameters = IntegrityParametersOutputSerializer(help_text="The current parameters.")


def integrity_rules() -> dict[str, Any]:
    return {
        **INTEGRITY,
        "parameters": {
            name.removeprefix("INTEGRITY_").lower(): getattr(settings, name)
            for name in INTEGRITY_SETTINGS
        },
    }


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
    integrity = serializers.SerializerMethodField(
        help_text="How the rating is protected from campaigns: reporter standing, surges, "
        "duplicate and ring flags, the facts shown beside each review; with the parameters."
    )

    @extend_schema_field(RatingFormulasOutputSerializer)
    def get_formulas(self, methodology: object) -> dict[str, str]:
        return RatingFormulasOutputSerializer(FORMULAS).data

    @extend_schema_field(RatingIntegrityOutputSerializer)
    def get_integrity(self, methodology: object) -> dict[str, Any]:
        return RatingIntegrityOutputSerializer(integrity_rules()).data


FORMULAS = {
    "counted": "Published reviews (each verified by a moderator), excluding reviews whose "
    "author disclosed an affiliation with the model's provider and reviews held by an open "
    "surge; a review hidden by reports counts until a moderator confirms the hiding.",
    "average": "Σr / n over the counted star ratings r.",
    "bayesian_average": "(C·m + Σr) / (C + n).",
    "lower_bound": "Dirichlet(1, …, 1) prior over the five stars: N = n + 5, "
    "p_k = (n_k + 1) / N, S = Σ k·p_k, LB = S - z·√((Σ k²·p_k - S²) / (N + 1)).",
    "recent_score": "(C·m + Σ w·r) / (C + Σ w) with w = 0.5 ** (age_days / half_life_days).",
    "prior_mean": "m = mean of all counted reviews of all models, refreshed daily with every "
    "summary; 3.0 (the middle of the scale) while there is none.",
}


# The schema of `reviews.ratings.brief.rating_brief`, embedded in the catalog's models.
class ModelRatingBriefOutputSerializer(serializers.Serializer):
    review_count = serializers.IntegerField(
        help_text="Counted reviews (published, without a disclosed conflict of interest)."
    )
    average = serializers.FloatField(
        allow_null=True, help_text="Plain mean star rating (1-5); null without reviews."
    )
    bayesian_average = serializers.FloatField(
        allow_null=True,
        help_text="Mean pulled toward the site-wide mean when reviews are few; null without "
        "reviews. The full summary is at `.../rating/`.",
    )
    unusual_activity = UnusualActivityOutputSerializer(
        allow_null=True,
        help_text="Set while the model shows unusual activity (reviews written since are "
        "shown but not yet counted); null otherwise. The same notice as in `.../rating/`.",
    )


INTEGRITY_SETTINGS = (
    "INTEGRITY_STANDING_MIN_ACCOUNT_DAYS", "INTEGRITY_REPORTERS_TO_HIDE",
    "INTEGRITY_SURGE_WINDOW_SECONDS", "INTEGRITY_SURGE_BASELINE_DAYS",
    "INTEGRITY_SURGE_MULTIPLIER", "INTEGRITY_SURGE_MIN_REVIEWS",
    "INTEGRITY_SURGE_MIN_NEW_ACCOUNT_REVIEWS", "INTEGRITY_SURGE_MIN_REPORTS",
    "INTEGRITY_NEW_ACCOUNT_DAYS", "INTEGRITY_SIMILARITY_THRESHOLD",
    "INTEGRITY_RING_MIN_ACCOUNTS", "INTEGRITY_RING_JOINED_SECONDS",
)  # fmt: skip

INTEGRITY = {
    "reporter_standing": "Anyone may report a review, and a report puts it in front of a "
    "moderator. A report hides a review at once only if it comes from a trusted flagger (a "
    "role moderators grant) for personal data or abuse, or if several independent "
    "reporters with standing reported it (accounts created within ring_joined_seconds of "
    "each other count once). Standing: an account at least standing_min_account_days old, "
    "with a published review or a report moderators upheld, and no more dismissed reports "
    "than upheld ones. Dismissed reports lower standing, upheld ones raise it.",
    "hidden_by_reports": "A review hidden by reports keeps counting in the rating until a "
    "moderator confirms the hiding; reports alone never move a rating.",
    "surges": "For each model we compare, over the last surge_window_seconds, the number of "
    "new reviews, new reviews by accounts younger than new_account_days, and reports with "
    "the model's own rate over the surge_baseline_days before. A count of at least "
    "surge_multiplier times that rate, and at least its floor, puts the model in an "
    "'unusual activity' state, shown on its page and rating. Reviews written during it (and "
    "in the window that raised it) are moderated and shown as usual but not counted until a "
    "moderator releases them, or rejects them, as a batch.",
    "flags": "When a review is written its text is compared (PostgreSQL pg_trgm trigram "
    "similarity) with the model's recent reviews and the author's other reviews; a "
    "similarity of at least similarity_threshold is flagged for moderators with the other "
    "review and the score. So are ring_min_accounts or more accounts created within "
    "ring_joined_seconds of each other reviewing the same model. Flags inform moderators; "
    "they never reject or hide anything and never change a rating.",
    "reviewer_facts": "Each review shows its author's account age (<1 month, 1-12 months, "
    ">1 year), number of published reviews and whether a moderator verified their usage. "
    "These facts do not weigh in the rating; if they ever do, it will be a new method "
    "version.",
}
