"""Output serializers of the rating endpoints (there is no rating input: ratings are derived).

The summary serializers are derived from the summary type (reviews.ratings.types), which
holds the field list, their order and their help texts; they document the body the rating
endpoint serves pre-rendered from that type. Scores are null while no review counts; counts
are exact.
"""

import dataclasses
import datetime as dt
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from models_catalog import tiers
from reviews.models import SUB_RATINGS, SurgeKind
from reviews.ratings.types import (
    BRIEF_FIELDS,
    SUB_RATING_HELP,
    UNUSUAL_ACTIVITY_HELP,
    GroupSummary,
    RatingSummary,
    SubRating,
    UnusualActivity,
    UseCaseSummary,
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
UnusualActivityOutputSerializer = _serializer(
    "UnusualActivityOutputSerializer",
    None,
    _fields_of(
        UnusualActivity,
        {
            "since": lambda h: serializers.DateTimeField(help_text=h),
            "kind": lambda h: serializers.ChoiceField(choices=SurgeKind.choices, help_text=h),
        },
    ),
)
UseCaseRatingOutputSerializer = _serializer(
    "UseCaseRatingOutputSerializer", None, _fields_of(UseCaseSummary, {})
)
_GROUP_NESTED = {
    "distribution": lambda h: RatingDistributionOutputSerializer(help_text=h),
    "sub_ratings": lambda h: RatingSubRatingsOutputSerializer(help_text=h),
}
_NOTICE = {
    "unusual_activity": lambda h: UnusualActivityOutputSerializer(allow_null=True, help_text=h)
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
            **_NOTICE,
            "versions": lambda h: VersionRatingOutputSerializer(many=True, help_text=h),
            "use_cases": lambda h: serializers.DictField(
                child=UseCaseRatingOutputSerializer(), help_text=h
            ),
        },
    ),
)
# The brief a catalog list embeds per model (reviews.ratings.types.rating_brief).
RatingBriefOutputSerializer = _serializer(
    # The component name the catalog's schema has always used for its embedded `rating`.
    "ModelRatingBriefOutputSerializer",
    "Count, mean and Bayesian average of a model's counted reviews, and the notice of "
    "unusual activity (the same as in `.../rating/`).",
    {
        **_fields_of(GroupSummary, {}, only=BRIEF_FIELDS),
        "unusual_activity": _NOTICE["unusual_activity"](UNUSUAL_ACTIVITY_HELP),
    },
)


class RatingFormulasOutputSerializer(serializers.Serializer):
    counted = serializers.CharField(help_text="Which reviews count.")
    average = serializers.CharField(help_text="The plain mean.")
    bayesian_average = serializers.CharField(help_text="The Bayesian average.")
    lower_bound = serializers.CharField(help_text="The ranking lower bound.")
    recent_score = serializers.CharField(help_text="The recency-weighted score.")
    prior_mean = serializers.CharField(help_text="How the prior mean m is obtained.")
    use_cases = serializers.CharField(help_text="The rating and rank per use case.")


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


class PriceTierMethodOutputSerializer(serializers.Serializer):
    measure = serializers.CharField(help_text="The rank measure tiers come from: blended_price.")
    budget_below_percentile = serializers.DecimalField(
        max_digits=4, decimal_places=1, help_text="Below this percentile: budget."
    )
    premium_from_percentile = serializers.DecimalField(
        max_digits=4, decimal_places=1,
        help_text="From this percentile on: premium; mid-priced between.",
    )  # fmt: skip
    min_models = serializers.IntegerField(
        help_text="Priced models a category needs to give a tier."
    )
    class_order = serializers.ListField(
        child=serializers.CharField(),
        help_text="Categories that give a tier; the first a model is in is its class.",
    )
    percentile = serializers.CharField(help_text="How the percentile is computed.")


class ReviewHighlightsMethodOutputSerializer(serializers.Serializer):
    min_reviews = serializers.IntegerField(
        help_text="Counted reviews a model needs before strengths, limitations and best-for "
        "are drawn from its reviews."
    )
    min_citations = serializers.IntegerField(
        help_text="Reviews that must cite a point (or tag a use case) for it to be shown."
    )
    similarity = serializers.FloatField(
        help_text="Trigram similarity (pg_trgm's measure) at which a phrase joins a group."
    )
    max_points = serializers.IntegerField(help_text="Strengths (and limitations) shown.")
    max_reviews = serializers.IntegerField(help_text="Newest counted reviews read per model.")


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
    use_case_min_reviews = serializers.SerializerMethodField(
        help_text="Counted reviews tagged with a use case a model needs to be ranked for it."
    )
    formulas = serializers.SerializerMethodField(help_text="The formulas, in words and symbols.")
    integrity = serializers.SerializerMethodField(
        help_text="How the rating is protected from campaigns: reporter standing, surges, "
        "duplicate and ring flags, the facts shown beside each review; with the parameters."
    )

    price_tiers = serializers.SerializerMethodField(
        help_text="How a model's price tier (budget, mid-priced, premium) within its class "
        "is drawn from its blended_price rank."
    )
    review_highlights = serializers.SerializerMethodField(
        help_text="How strengths, limitations and best-for are drawn from counted reviews."
    )

    def get_use_case_min_reviews(self, methodology: object) -> int:
        return int(settings.RATING_USE_CASE_MIN_REVIEWS)

    @extend_schema_field(PriceTierMethodOutputSerializer)
    def get_price_tiers(self, methodology: object) -> dict[str, Any]:
        return dict(PriceTierMethodOutputSerializer(tiers.thresholds()).data)

    @extend_schema_field(ReviewHighlightsMethodOutputSerializer)
    def get_review_highlights(self, methodology: object) -> dict[str, Any]:
        values = {
            "min_reviews": settings.REVIEW_HIGHLIGHTS_MIN_REVIEWS,
            "min_citations": settings.REVIEW_HIGHLIGHTS_MIN_CITATIONS,
            "similarity": settings.REVIEW_HIGHLIGHTS_SIMILARITY,
            "max_points": settings.REVIEW_HIGHLIGHTS_MAX_POINTS,
            "max_reviews": settings.REVIEW_HIGHLIGHTS_MAX_REVIEWS,
        }
        return dict(ReviewHighlightsMethodOutputSerializer(values).data)

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
    "use_cases": "Per use case u (coding, agents, ...): the same count, average, Bayesian "
    "average and lower bound over the counted reviews tagged with u (a review with two tags "
    "counts in both), computed with the model's summary, with m_u = the mean of all counted "
    "reviews tagged with u (refreshed with m; m while u has none) as the prior. A model is "
    "ranked for u by its lower bound among the models with at least `use_case_min_reviews` "
    "such reviews (equal scores share a rank).",
}


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
    "flags": "Shortly after a review is written (or appealed) its text is compared "
    "(PostgreSQL pg_trgm trigram similarity) with the model's most recent reviews (a bounded "
    "number, within the last 90 days by default) and the author's other reviews; a "
    "similarity of at least similarity_threshold is flagged for moderators with the other "
    "review and the score. So are ring_min_accounts or more accounts created within "
    "ring_joined_seconds of each other reviewing the same model. Flags inform moderators; "
    "they never reject or hide anything and never change a rating.",
    "reviewer_facts": "Each review shows its author's account age (<1 month, 1-12 months, "
    ">1 year), number of published reviews and whether a moderator verified their usage. "
    "These facts do not weigh in the rating; if they ever do, it will be a new method "
    "version.",
}
