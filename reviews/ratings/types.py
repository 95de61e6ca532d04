"""The rating summary, as stored and as served: one type that renders itself.

`GroupSummary` (a model, or one of its versions) and `RatingSummary` (a model, with its
versions) are the only place the summary's fields, their order and their help texts are
written. The pipeline stores what `GroupSummary.payload()` renders (summary.py), the rating
endpoint's cached body is `RatingSummary.from_row(row).payload()` (cache.py), the schema's
serializers are derived from these dataclasses (reviews.api.rating_serializers), and the
catalog's embedded rating is `rating_brief(row)`.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Self

from rest_framework.fields import DateTimeField

from reviews.models import SUB_RATINGS, ModelRating
from reviews.scoring import STARS


def _help(text: str) -> dict[str, str]:
    return {"help": text}


def help_text(cls: type, name: str) -> str:
    """The help text of field `name` of one of these dataclasses (for the schema)."""
    return next(f.metadata["help"] for f in fields(cls) if f.name == name)


SUB_RATING_HELP = {
    "quality": "output quality",
    "speed": "speed",
    "value": "value for money",
    "reliability": "reliability",
    "integration": "ease of integration",
}


@dataclass(frozen=True)
class SubRating:
    average: float | None = field(
        metadata=_help("Mean of this sub-rating (1-5); null when nobody gave one.")
    )
    count: int = field(metadata=_help("Counted reviews that gave this sub-rating."))


@dataclass(frozen=True)
class GroupSummary:
    """The summary of one group of counted reviews. Scores are null while none counts."""

    review_count: int = field(
        metadata=_help(
            "Counted reviews: published (moderator-verified), without a disclosed "
            "conflict of interest, not held by a surge (see /ratings/methodology/)."
        )
    )
    average: float | None = field(
        metadata=_help("Plain mean of the counted star ratings; null without any.")
    )
    bayesian_average: float | None = field(
        metadata=_help(
            "(C·m + Σr) / (C + n): the mean pulled toward the site-wide mean m by C virtual "
            "reviews (see /ratings/methodology/); null without reviews."
        )
    )
    lower_bound: float | None = field(
        metadata=_help(
            "Lower bound of the mean under a Dirichlet prior over the five stars (Evan Miller); "
            "the score for ranking. Null without reviews."
        )
    )
    recent_score: float | None = field(
        metadata=_help(
            "Bayesian average with each review weighted 0.5 ** (age / half-life); "
            "null without reviews."
        )
    )
    distribution: dict[str, int] = field(
        metadata=_help('Counted reviews per star: {"1": n, ..., "5": n}.')
    )
    sub_ratings: dict[str, SubRating] = field(
        metadata=_help(
            "Per sub-rating (quality, speed, value, reliability, integration): mean and how many "
            "reviews gave it."
        )
    )
    usage_verified_count: int = field(
        metadata=_help("Counted reviews whose author's usage a moderator verified.")
    )

    @staticmethod
    def values_of(stored: Mapping[str, Any]) -> dict[str, Any]:
        """The group fields of a stored summary (a row's attributes or a `versions` entry)."""
        return {
            **{f.name: stored[f.name] for f in fields(GroupSummary)},
            "distribution": {str(star): stored["distribution"][str(star)] for star in STARS},
            "sub_ratings": {
                name: SubRating(average=sub["average"], count=sub["count"])
                for name in SUB_RATINGS
                for sub in [stored["sub_ratings"][name]]
            },
        }

    def payload(self) -> dict[str, Any]:
        """The public JSON of this summary, keys in the documented order (jsonb keeps none)."""
        return {f.name: _render(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class UnusualActivity:
    """The notice a model carries while a surge is open (reviews.integrity.surges)."""

    since: str = field(metadata=_help("When the surge was detected."))
    kind: str = field(
        metadata=_help(
            "`review_surge` (many new reviews or new reviewer accounts) or `report_surge` "
            "(many reports)."
        )
    )

    @classmethod
    def from_stored(cls, stored: Mapping[str, str] | None) -> "UnusualActivity | None":
        return None if stored is None else cls(since=stored["since"], kind=stored["kind"])


UNUSUAL_ACTIVITY_HELP = (
    "Set while the model shows unusual activity: reviews written since are shown but not "
    "counted until a moderator has looked at them. Null otherwise."
)


@dataclass(frozen=True)
class UseCaseSummary:
    """The rating of a model for one use case, over its counted reviews tagged with it."""

    review_count: int = field(metadata=_help("Counted reviews tagged with this use case."))
    average: float | None = field(metadata=_help("Plain mean of their star ratings."))
    bayesian_average: float | None = field(
        metadata=_help(
            "Their mean pulled toward the site-wide mean of reviews tagged with this use case "
            "(the use-case prior; see /ratings/methodology/)."
        )
    )
    lower_bound: float | None = field(
        metadata=_help("Lower bound of their mean (as the model's); the score for ranking.")
    )


USE_CASES_HELP = (
    "Per use case (coding, agents, ...) that has counted reviews tagged with it: the same "
    "summary over those reviews. Absent use cases have none."
)


@dataclass(frozen=True)
class VersionSummary(GroupSummary):
    model_version: str = field(metadata=_help("The model version the reviews name."))


@dataclass(frozen=True)
class RatingSummary(GroupSummary):
    """A model's stored summary: the body of `GET /models/{provider}/{model}/rating/`."""

    computed_at: dt.datetime | None = field(
        metadata=_help("When the summary was computed; null if never.")
    )
    method_version: str = field(
        metadata=_help("Version of the rating method (formulas and parameters) used.")
    )
    unusual_activity: UnusualActivity | None = field(metadata=_help(UNUSUAL_ACTIVITY_HELP))
    versions: tuple[VersionSummary, ...] = field(
        metadata=_help("The same summary per reviewed model version, by version name.")
    )
    use_cases: dict[str, UseCaseSummary] = field(metadata=_help(USE_CASES_HELP))

    @classmethod
    def from_row(cls, rating: ModelRating) -> Self:
        """The summary a `ModelRating` row holds (an unsaved empty row: never computed)."""
        stored = {f.name: getattr(rating, f.name) for f in fields(GroupSummary)}
        return cls(
            **GroupSummary.values_of(stored),
            computed_at=rating.computed_at,
            method_version=rating.method_version,
            unusual_activity=UnusualActivity.from_stored(rating.unusual_activity),
            versions=tuple(
                VersionSummary(
                    **GroupSummary.values_of(version), model_version=version["model_version"]
                )
                for version in rating.versions
            ),
            use_cases={
                name: UseCaseSummary(**stored) for name, stored in sorted(rating.use_cases.items())
            },
        )


def _render(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _render(item) for key, item in value.items()}
    if isinstance(value, SubRating):
        return {"average": value.average, "count": value.count}
    if isinstance(value, UseCaseSummary):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    if isinstance(value, UnusualActivity):
        return {"since": value.since, "kind": value.kind}
    if isinstance(value, tuple):
        return [item.payload() for item in value]
    if isinstance(value, dt.datetime):
        return DateTimeField().to_representation(value)
    return value


# --- The brief the catalog embeds in its model list -------------------------------------

BRIEF_FIELDS = ("review_count", "average", "bayesian_average")
# What a model without a stored summary (never reviewed) shows.
_NO_RATING: dict[str, Any] = {
    "review_count": 0,
    "average": None,
    "bayesian_average": None,
    "unusual_activity": None,
}


def rating_brief(rating: ModelRating | None) -> dict[str, Any]:
    """The brief rating embedded in catalog lists: count, mean and Bayesian average of the
    model's stored summary (`None`: never reviewed), and the unusual-activity notice. Plain
    values, no query and no serializer: it runs for every row of a page."""
    if rating is None:
        return dict(_NO_RATING)
    return {
        **{name: getattr(rating, name) for name in BRIEF_FIELDS},
        "unusual_activity": _render(UnusualActivity.from_stored(rating.unusual_activity)),
    }
