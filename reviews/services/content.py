"""What an author writes, as one value the services pass around and check.

The API's input serializers check the same limits first (for per-field 400s); the checks
here hold for every other interface too (admin, shell, tests).
"""

from dataclasses import dataclass, fields, replace
from typing import Any

from django.db.models import Field

from config.text import BIDI_MESSAGE, has_bidi_controls, visible_length
from models_catalog.models import AIModel
from reviews.exceptions import InputInvalid, ModelVersionUnknown
from reviews.models import (
    SUB_RATINGS,
    USAGE_MONTHS_MAX,
    Review,
    ReviewContent,
    ReviewRevision,
    UsageChannel,
    UseCase,
)
from reviews.selectors import (
    review_version_canonical,
    review_version_known,
    review_versions_known,
)


def _max_length(name: str) -> int:
    field = Review._meta.get_field(name)
    if not isinstance(field, Field) or field.max_length is None:
        raise TypeError(f"Review.{name} has no max_length")
    return field.max_length


TITLE_MAX = _max_length("title")
BODY_MIN, BODY_MAX = 50, 10_000
PROS_CONS_MAX = 5_000


@dataclass(frozen=True)
class ReviewDraft:
    """The content of one revision. An empty `model_version` means the model's canonical
    version at the time of writing."""

    rating: int
    title: str
    body: str
    quality: int | None = None
    speed: int | None = None
    value: int | None = None
    reliability: int | None = None
    integration: int | None = None
    pros: str = ""
    cons: str = ""
    use_cases: tuple[str, ...] = ()
    usage_channel: str = ""
    usage_months: int | None = None
    model_version: str = ""


CONTENT_FIELDS = tuple(field.name for field in fields(ReviewDraft))


def draft_of(content: ReviewContent) -> ReviewDraft:
    """The draft a review or revision currently holds."""
    values = {name: getattr(content, name) for name in CONTENT_FIELDS}
    return ReviewDraft(**{**values, "use_cases": tuple(values["use_cases"])})


def draft_changed(base: ReviewDraft, changes: dict[str, Any]) -> ReviewDraft:
    """`base` with the given fields replaced (unknown names are a programming error)."""
    if "use_cases" in changes:
        changes = {**changes, "use_cases": tuple(changes["use_cases"])}
    return replace(base, **changes)


def draft_apply(content: ReviewContent, draft: ReviewDraft) -> None:
    for name in CONTENT_FIELDS:
        setattr(content, name, getattr(draft, name))
    content.use_cases = list(draft.use_cases)


def revision_add(review: Review, draft: ReviewDraft, number: int) -> ReviewRevision:
    """Store `draft` as revision `number` of `review`, waiting for moderation."""
    revision = ReviewRevision(review=review, number=number)
    draft_apply(revision, draft)
    revision.save()
    return revision


def _rating_ok(value: Any, *, required: bool) -> bool:
    if value is None:
        return not required
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5


def _check_ratings(draft: ReviewDraft) -> None:
    if not _rating_ok(draft.rating, required=True):
        raise InputInvalid("rating", "Must be a whole number from 1 to 5.")
    for name in SUB_RATINGS:
        if not _rating_ok(getattr(draft, name), required=False):
            raise InputInvalid(name, "Must be a whole number from 1 to 5, or empty.")


def _check_texts(draft: ReviewDraft) -> None:
    # Minimums count visible characters (config.text): invisible padding is not content.
    # Maximums count every stored character: the column's limit.
    for name in ("title", "body", "pros", "cons"):
        if has_bidi_controls(getattr(draft, name)):
            raise InputInvalid(name, BIDI_MESSAGE)
    if not visible_length(draft.title) or len(draft.title) > TITLE_MAX:
        raise InputInvalid("title", f"Must be 1 to {TITLE_MAX} characters.")
    if visible_length(draft.body) < BODY_MIN or len(draft.body) > BODY_MAX:
        raise InputInvalid("body", f"Must be {BODY_MIN} to {BODY_MAX} characters.")
    for name in ("pros", "cons"):
        if len(getattr(draft, name)) > PROS_CONS_MAX:
            raise InputInvalid(name, f"Must be at most {PROS_CONS_MAX} characters.")


def _check_usage(draft: ReviewDraft) -> None:
    if not set(draft.use_cases) <= set(UseCase.values) or len(set(draft.use_cases)) != len(
        draft.use_cases
    ):
        raise InputInvalid("use_cases", f"Distinct values from {UseCase.values}.")
    if draft.usage_channel and draft.usage_channel not in UsageChannel.values:
        raise InputInvalid("usage", f"`channel` must be one of {UsageChannel.values}.")
    if draft.usage_months is not None and not 0 <= draft.usage_months <= USAGE_MONTHS_MAX:
        raise InputInvalid("usage", f"`months` must be from 0 to {USAGE_MONTHS_MAX}.")


def draft_check(draft: ReviewDraft) -> None:
    """Raise InputInvalid naming the first field that breaks a content rule."""
    _check_ratings(draft)
    _check_texts(draft)
    _check_usage(draft)


def draft_with_version(draft: ReviewDraft, model: AIModel) -> ReviewDraft:
    """`draft` with its model version filled in (the canonical one when empty), spelled the
    one way a version is stored (an alias or the undated slug becomes the canonical dated
    slug) and checked against the model's known versions. Raises ModelVersionUnknown."""
    version = review_version_canonical(model, draft.model_version) if draft.model_version else ""
    version = version or model.version_slug or model.slug
    if not review_version_known(model, version):
        raise ModelVersionUnknown(version, review_versions_known(model))
    return replace(draft, model_version=version)
