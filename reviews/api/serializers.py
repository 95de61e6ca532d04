"""One serializer per operation and direction. Input serializers only have the fields a
client may set (status, author, counts, ids and revisions are not among them; unknown fields
are refused by config.strict). Output serializers list every field; none holds an email address."""

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from config.api import ErrorOutputSerializer, absolute_url
from models_catalog.api.references import (
    ModelReferenceOutputSerializer,
    ProviderSummaryOutputSerializer,
)
from reviews.integrity.standing import AGE_BUCKETS, account_age_bucket, author_published_reviews
from reviews.models import (
    SUB_RATINGS,
    ModerationAction,
    ReplyStatus,
    Report,
    ReportReason,
    Review,
    ReviewRevision,
    ReviewStatus,
    UsageChannel,
    UseCase,
)
from reviews.selectors import REVIEW_ORDERINGS
from reviews.services.content import BODY_MAX, BODY_MIN, PROS_CONS_MAX, TITLE_MAX, USAGE_MONTHS_MAX

VERSION_MAX = Review._meta.get_field("model_version").max_length
NOTE_MAX = 2_000
_SUB_RATING_HELP = {
    "quality": "Output quality, 1-5.",
    "speed": "Speed, 1-5.",
    "value": "Value for money, 1-5.",
    "reliability": "Reliability, 1-5.",
    "integration": "Ease of integration, 1-5.",
}


def _rating(help_text: str, **kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=5, help_text=help_text, **kwargs)


def note_field(help_text: str) -> serializers.CharField:
    return serializers.CharField(
        required=False, allow_blank=True, max_length=NOTE_MAX, trim_whitespace=False,
        help_text=help_text,
    )  # fmt: skip


# --- Input ------------------------------------------------------------------------------


class SubRatingsInputSerializer(serializers.Serializer):
    quality = _rating(_SUB_RATING_HELP["quality"], required=False, allow_null=True)
    speed = _rating(_SUB_RATING_HELP["speed"], required=False, allow_null=True)
    value = _rating(_SUB_RATING_HELP["value"], required=False, allow_null=True)
    reliability = _rating(_SUB_RATING_HELP["reliability"], required=False, allow_null=True)
    integration = _rating(_SUB_RATING_HELP["integration"], required=False, allow_null=True)


class UsageInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(
        choices=UsageChannel.choices, required=False, allow_blank=True,
        help_text="How the model was used: through its API, a chat app or a third-party "
        "platform.",
    )  # fmt: skip
    months = serializers.IntegerField(
        min_value=0, max_value=USAGE_MONTHS_MAX, required=False, allow_null=True,
        help_text="For how many months.",
    )  # fmt: skip


# A review's own score is `stars` in the API (stored as `rating`): `rating` names a model's
# summary object, and one name for two shapes made frontends guess (issue 15).
STARS_HELP = "The stars the author gives the model, a whole number from 1 to 5."


class ReviewCreateInputSerializer(serializers.Serializer):
    stars = _rating(STARS_HELP, source="rating")
    title = serializers.CharField(max_length=TITLE_MAX, help_text="Title, plain text.")
    body = serializers.CharField(
        max_length=BODY_MAX, trim_whitespace=False,
        help_text=f"The review, plain text ({BODY_MIN} to {BODY_MAX} characters), stored and "
        "returned as written; never rendered as HTML.",
    )  # fmt: skip
    sub_ratings = SubRatingsInputSerializer(
        required=False, help_text="Optional sub-ratings; a missing one is empty."
    )
    pros = serializers.CharField(
        required=False, allow_blank=True, max_length=PROS_CONS_MAX, trim_whitespace=False,
        help_text="What is good, plain text.",
    )  # fmt: skip
    cons = serializers.CharField(
        required=False, allow_blank=True, max_length=PROS_CONS_MAX, trim_whitespace=False,
        help_text="What is not, plain text.",
    )  # fmt: skip
    use_cases = serializers.ListField(
        child=serializers.ChoiceField(choices=UseCase.choices), required=False,
        max_length=len(UseCase.values), help_text="What the model was used for (distinct).",
    )  # fmt: skip
    usage = UsageInputSerializer(required=False, help_text="How and for how long it was used.")
    model_version = serializers.CharField(
        required=False, allow_blank=True, max_length=VERSION_MAX,
        help_text="The model version the review applies to; the catalog's canonical version "
        "when left out. Only the model's known versions are accepted.",
    )  # fmt: skip

    def validate_body(self, value: str) -> str:
        if len(value.strip()) < BODY_MIN:
            raise serializers.ValidationError(f"Write at least {BODY_MIN} characters.")
        return value

    def validate_use_cases(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("List each use case once.")
        return value


class ReviewUpdateInputSerializer(ReviewCreateInputSerializer):
    """The same fields, each optional; the ones sent replace the current text."""

    stars = _rating(STARS_HELP, source="rating", required=False)
    title = serializers.CharField(
        max_length=TITLE_MAX, required=False, help_text="Title, plain text."
    )
    body = serializers.CharField(
        max_length=BODY_MAX, trim_whitespace=False, required=False,
        help_text=f"The review, plain text ({BODY_MIN} to {BODY_MAX} characters).",
    )  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.")
        return attrs


def review_fields(validated: dict[str, Any]) -> dict[str, Any]:
    """Validated input as the services' content fields (`sub_ratings` and `usage` are
    replaced as a whole when sent)."""
    fields = {k: v for k, v in validated.items() if k not in ("sub_ratings", "usage")}
    if "sub_ratings" in validated:
        fields.update({name: validated["sub_ratings"].get(name) for name in SUB_RATINGS})
    if "usage" in validated:
        fields["usage_channel"] = validated["usage"].get("channel") or ""
        fields["usage_months"] = validated["usage"].get("months")
    return fields


class ReviewListFilterInputSerializer(serializers.Serializer):
    ordering = serializers.ChoiceField(
        choices=list(REVIEW_ORDERINGS), default="-published_at",
        help_text="A sort key, `-` for descending (the API's one ordering idiom): "
        "`-published_at` (newest first, the default), `published_at`, `-helpfulness` (Wilson "
        "lower bound of the helpful share), `-stars` or `stars` (the review's own stars); "
        "ties newest first.",
    )  # fmt: skip
    stars = _rating("Only reviews giving this many stars (1-5).", required=False)
    use_case = serializers.ChoiceField(
        choices=UseCase.choices, required=False, help_text="Only reviews tagged with it."
    )
    model_version = serializers.CharField(
        required=False, max_length=VERSION_MAX, help_text="Only reviews of this model version."
    )
    usage_verified = serializers.BooleanField(
        required=False, help_text="`true`: only reviews whose usage a moderator verified."
    )
    has_reply = serializers.BooleanField(
        required=False,
        help_text="`true`: only reviews the provider replied to (published reply); `false`: "
        "only those without.",
    )


class ReplyInputSerializer(serializers.Serializer):
    body = serializers.CharField(
        max_length=BODY_MAX, trim_whitespace=False,
        help_text=f"The reply, plain text ({BODY_MIN} to {BODY_MAX} characters), stored and "
        "returned as written; never rendered as HTML.",
    )  # fmt: skip

    def validate_body(self, value: str) -> str:
        if len(value.strip()) < BODY_MIN:
            raise serializers.ValidationError(f"Write at least {BODY_MIN} characters.")
        return value


class ReviewVoteInputSerializer(serializers.Serializer):
    helpful = serializers.BooleanField(help_text="`true` helpful, `false` not helpful.")


class MyReviewListFilterInputSerializer(serializers.Serializer):
    model = serializers.CharField(
        required=False, max_length=VERSION_MAX,
        help_text="Only your reviews of this model (its slug, an alias or a variant id).",
    )  # fmt: skip


class ReportCreateInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ReportReason.choices, help_text="Why.")
    note = note_field("Anything a moderator should know.")


# --- Output -----------------------------------------------------------------------------


class SubRatingsOutputSerializer(serializers.Serializer):
    quality = serializers.IntegerField(allow_null=True, help_text=_SUB_RATING_HELP["quality"])
    speed = serializers.IntegerField(allow_null=True, help_text=_SUB_RATING_HELP["speed"])
    value = serializers.IntegerField(allow_null=True, help_text=_SUB_RATING_HELP["value"])
    reliability = serializers.IntegerField(
        allow_null=True, help_text=_SUB_RATING_HELP["reliability"]
    )
    integration = serializers.IntegerField(
        allow_null=True, help_text=_SUB_RATING_HELP["integration"]
    )


class UsageOutputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(
        choices=UsageChannel.choices,
        allow_blank=True,
        source="usage_channel",
        help_text=f"One of {UsageChannel.values}, or blank when not given.",
    )
    months = serializers.IntegerField(
        source="usage_months", allow_null=True, help_text="For how many months."
    )


class ReviewAuthorOutputSerializer(serializers.Serializer):
    """The byline: never an email address. An erased account shows as "deleted account"."""

    username = serializers.SerializerMethodField(help_text="Public handle; null if erased.")
    display_name = serializers.SerializerMethodField(help_text="Name shown beside the review.")
    profile_url = serializers.SerializerMethodField(
        help_text="The public profile in the API (absolute, `…/api/v1/users/{username}/`); "
        "null if erased."
    )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_username(self, user: User) -> str | None:
        return None if user.erased_at else user.username

    def get_display_name(self, user: User) -> str:
        return str(user)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_profile_url(self, user: User) -> str | None:
        if user.erased_at:
            return None
        return absolute_url(self.context, "accounts:user-detail", username=user.username)


class ReviewerFactsOutputSerializer(serializers.Serializer):
    """Neutral facts about the author a reader can weigh; they do not change the rating."""

    account_age = serializers.ChoiceField(
        choices=list(AGE_BUCKETS), help_text="How old the account is: `<1 month`, "
        "`1-12 months` or `>1 year`.",
    )  # fmt: skip
    published_reviews = serializers.IntegerField(
        help_text="The author's published reviews, of any model."
    )
    usage_verified = serializers.BooleanField(
        help_text="A moderator saw evidence that the author used this model."
    )


class _ContentOutputSerializer(serializers.Serializer):
    stars = serializers.IntegerField(source="rating", help_text=STARS_HELP)
    sub_ratings = SubRatingsOutputSerializer(
        source="*", help_text="Sub-ratings (1-5); each null when not given."
    )
    title = serializers.CharField(help_text="Title, plain text as written.")
    body = serializers.CharField(help_text="The review, plain text as written (never HTML).")
    pros = serializers.CharField(help_text="What is good, plain text.")
    cons = serializers.CharField(help_text="What is not, plain text.")
    use_cases = serializers.ListField(
        child=serializers.ChoiceField(choices=UseCase.choices), help_text="Use-case tags."
    )
    usage = UsageOutputSerializer(source="*", help_text="How and for how long it was used.")
    model_version = serializers.CharField(help_text="The model version the review applies to.")


class ReviewViewerOutputSerializer(serializers.Serializer):
    """What the signed-in reader did with a review (documentation and shape)."""

    is_author = serializers.BooleanField(help_text="You wrote it.")
    vote = serializers.BooleanField(
        allow_null=True, help_text="Your helpful vote: `true`, `false`, or null if none."
    )
    reported = serializers.BooleanField(
        help_text="You have a report of it (see `/api/v1/me/reports/`)."
    )


def viewer_state(review: Review, viewer: User | AnonymousUser | None) -> dict[str, Any] | None:
    """The reader's own state of `review`, from the annotations the selectors add for a
    signed-in reader (`viewer_vote`, `viewer_reported`); None for an anonymous one."""
    if viewer is None or not viewer.is_authenticated:
        return None
    return {
        "is_author": review.author_id == viewer.pk,
        # Annotations of `reviews.selectors._with_viewer` (not model fields).
        "vote": getattr(review, "viewer_vote", None),
        "reported": bool(getattr(review, "viewer_reported", False)),
    }


class ReplyOutputSerializer(serializers.Serializer):
    """A provider's public reply: who speaks is the provider, never the member's account."""

    id = serializers.UUIDField(source="public_id", help_text="The reply's id (random).")
    provider = ProviderSummaryOutputSerializer(help_text="The provider that replied.")
    body = serializers.CharField(help_text="The reply, plain text as written (never HTML).")
    published_at = serializers.DateTimeField(
        allow_null=True, help_text="When this text was published; null while it waits."
    )
    updated_at = serializers.DateTimeField(help_text="When the reply last changed.")


class ReplyOwnOutputSerializer(ReplyOutputSerializer):
    """The provider's members' view: also the moderation state."""

    review = serializers.UUIDField(source="review.public_id", help_text="The review answered.")
    status = serializers.ChoiceField(
        choices=ReplyStatus.choices,
        help_text="`pending` (waiting for moderation, also after an edit), `published` or "
        "`rejected`; everyone else only ever sees `published` replies.",
    )
    moderation_note = serializers.CharField(help_text="The moderator's note, if any.")
    created_at = serializers.DateTimeField(help_text="When it was first written.")


def review_url(context: Any, review: Review) -> str:
    """The review's own resource, `GET /api/v1/reviews/{id}/` (absolute)."""
    return absolute_url(context, "reviews:review-detail", review_id=review.public_id)


class ReviewOutputSerializer(_ContentOutputSerializer):
    id = serializers.UUIDField(source="public_id", help_text="The review's id (random).")
    url = serializers.SerializerMethodField(
        help_text="The review's resource, `…/api/v1/reviews/{id}/` (absolute)."
    )
    model = ModelReferenceOutputSerializer(help_text="The reviewed model.")
    status = serializers.ChoiceField(
        choices=ReviewStatus.choices,
        help_text="`pending`, `published`, `rejected`, `hidden` or `withdrawn`; others only "
        "ever see `published`.",
    )
    author = ReviewAuthorOutputSerializer(help_text="Who wrote it.")
    conflict_of_interest = serializers.SerializerMethodField(
        help_text="The author disclosed working for the model's provider; such a review "
        "never counts toward the rating. An affiliation the author keeps private stays "
        "private: then this is null for everyone but the author (moderators see it in the "
        "moderation API); see `counts_toward_rating`."
    )
    counts_toward_rating = serializers.SerializerMethodField(
        help_text="Whether the review counts toward the model's rating now: published, not "
        "held out during a surge, and no disclosed conflict of interest (whose reason may be "
        "private)."
    )
    usage_verified = serializers.BooleanField(help_text="A moderator saw evidence of use.")
    helpful_count = serializers.IntegerField(help_text="People who found it helpful.")
    not_helpful_count = serializers.IntegerField(help_text="People who did not.")
    helpfulness = serializers.FloatField(
        help_text="Wilson lower bound (95 %) of the helpful share, 0-1; `most_helpful` order."
    )
    created_at = serializers.DateTimeField(help_text="When it was first submitted.")
    published_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was (last) published; null if never."
    )
    viewer = serializers.SerializerMethodField(
        help_text="Your own state of this review (author? your vote, your report); null when "
        "not signed in."
    )

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, review: Review) -> str:
        return review_url(self.context, review)

    @extend_schema_field(ReviewViewerOutputSerializer(allow_null=True))
    def get_viewer(self, review: Review) -> dict[str, Any] | None:
        # The view passes the reader as `viewer`; the selectors annotated what it reads.
        return viewer_state(review, self.context.get("viewer"))

    reviewer = serializers.SerializerMethodField(
        help_text="Facts about the author: account age, published reviews, usage verified."
    )
    reply = serializers.SerializerMethodField(
        help_text="The provider's published public reply; null if none."
    )
    updated_after_reply = serializers.BooleanField(
        help_text="The author updated the review after the provider's reply was published."
    )

    @extend_schema_field(ReplyOutputSerializer(allow_null=True))
    def get_reply(self, review: Review) -> dict[str, Any] | None:
        # Preloaded by every selector that feeds this serializer (`published_replies`).
        replies = review.published_replies
        return ReplyOutputSerializer(replies[0], context=self.context).data if replies else None

    @extend_schema_field(ReviewerFactsOutputSerializer)
    def get_reviewer(self, review: Review) -> dict[str, Any]:
        # The count is annotated by the list selectors (no query per row).
        return {
            "account_age": account_age_bucket(review.author.date_joined),
            "published_reviews": author_published_reviews(review),
            "usage_verified": review.usage_verified,
        }

    def sees_affiliation(self, review: Review) -> bool:
        """Whether the reader may see why a review does not count: the author's affiliation
        is public, or the reader (context `viewer`) is the author. Moderators read it in the
        moderation API and the admin (ModerationReviewOutputSerializer shows it always)."""
        if review.author.affiliation_public:
            return True
        viewer = self.context.get("viewer")
        return viewer is not None and viewer.is_authenticated and review.author_id == viewer.pk

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_conflict_of_interest(self, review: Review) -> bool | None:
        return review.conflict_of_interest if self.sees_affiliation(review) else None

    def get_counts_toward_rating(self, review: Review) -> bool:
        return (
            review.status == ReviewStatus.PUBLISHED
            and not review.conflict_of_interest
            and not review.rating_held
        )


class PendingEditOutputSerializer(_ContentOutputSerializer):
    number = serializers.IntegerField(help_text="Revision number.")
    submitted_at = serializers.DateTimeField(source="created_at", help_text="When it was sent.")


class LastModerationOutputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        source="last_moderation_action", choices=ModerationAction.choices,
        help_text="The last moderation outcome.",
    )  # fmt: skip
    reason = serializers.ChoiceField(
        source="last_moderation_reason", choices=ReportReason.choices, allow_blank=True,
        help_text="Why; blank when none.",
    )  # fmt: skip
    note = serializers.CharField(source="last_moderation_note", help_text="The moderator's note.")
    at = serializers.DateTimeField(source="last_moderated_at", help_text="When.")


def _pending_edit(review: Review) -> ReviewRevision | None:
    # `pending_revisions` is preloaded by the selectors that feed these serializers.
    revisions = review.pending_revisions if review.has_pending_edit else []
    return revisions[0] if revisions else None


class ReviewOwnOutputSerializer(ReviewOutputSerializer):
    """The author's view of their review: also the edit waiting and the last outcome."""

    has_pending_edit = serializers.BooleanField(
        help_text="An edit of the published text waits for moderation."
    )

    def sees_affiliation(self, review: Review) -> bool:
        return True  # the author, or moderators (ModerationReviewOutputSerializer)

    pending_edit = serializers.SerializerMethodField(
        help_text="The edit waiting for moderation (the public text stays until it is "
        "verified); null if none."
    )
    last_moderation = serializers.SerializerMethodField(
        help_text="The last moderation outcome, reason and note; null if none yet."
    )

    @extend_schema_field(PendingEditOutputSerializer(allow_null=True))
    def get_pending_edit(self, review: Review) -> dict | None:
        revision = _pending_edit(review)
        return None if revision is None else PendingEditOutputSerializer(revision).data

    @extend_schema_field(LastModerationOutputSerializer(allow_null=True))
    def get_last_moderation(self, review: Review) -> dict | None:
        if not review.last_moderation_action:
            return None
        return LastModerationOutputSerializer(review).data


class ReviewVoteOutputSerializer(serializers.Serializer):
    helpful = serializers.BooleanField(help_text="Your vote.")
    helpful_count = serializers.IntegerField(help_text="People who found it helpful.")
    not_helpful_count = serializers.IntegerField(help_text="People who did not.")
    helpfulness = serializers.FloatField(help_text="Wilson lower bound of the helpful share.")


class ReportOutputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ReportReason.choices, help_text="Why.")
    note = serializers.CharField(help_text="Your note.")
    state = serializers.ChoiceField(
        choices=Report.State.choices,
        help_text="`open` until a moderator upholds or dismisses it.",
    )
    created_at = serializers.DateTimeField(help_text="When.")
    url = serializers.SerializerMethodField(
        help_text="This report, `…/api/v1/me/reports/{review_id}/` (absolute)."
    )
    review = serializers.UUIDField(source="review.public_id", help_text="The reported review.")
    review_url = serializers.SerializerMethodField(help_text="The reported review (absolute).")
    model = ModelReferenceOutputSerializer(source="review.model", help_text="Its model.")
    withdrawable = serializers.SerializerMethodField(
        help_text="You may still withdraw it (`DELETE /api/v1/me/reports/{review_id}/`): only "
        "while it is `open`."
    )

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, report: Report) -> str:
        return absolute_url(
            self.context, "reviews:me-report-detail", review_id=report.review.public_id
        )

    @extend_schema_field(OpenApiTypes.URI)
    def get_review_url(self, report: Report) -> str:
        return review_url(self.context, report.review)

    def get_withdrawable(self, report: Report) -> bool:
        return report.state == Report.State.OPEN


class ReviewExistsErrorOutputSerializer(ErrorOutputSerializer):
    """The 409 of writing a second active review of a model (documentation only)."""

    existing_review = serializers.UUIDField(
        required=False, help_text="With `review_exists`: the id of your active review."
    )


class ProviderReplyStatsOutputSerializer(serializers.Serializer):
    provider = ProviderSummaryOutputSerializer(help_text="The provider the figures are of.")
    window_days = serializers.IntegerField(help_text="The figures cover this many days.")
    reviews_published = serializers.IntegerField(
        help_text="Reviews of the provider's models published in the window."
    )
    reviews_replied = serializers.IntegerField(help_text="Of those, how many it replied to.")
    reply_rate = serializers.FloatField(
        allow_null=True, help_text="`reviews_replied / reviews_published`, 0-1; null if none."
    )
    median_reply_seconds = serializers.IntegerField(
        allow_null=True,
        help_text="Median time from a review's publication to the provider's reply, in "
        "seconds; null without replies.",
    )
    computed_at = serializers.DateTimeField(
        allow_null=True, help_text="When the figures were computed (hourly); null if never."
    )
