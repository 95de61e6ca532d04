"""Serializers of the moderation API (the queue, the actions, the audit log); one per
operation and direction, like the review serializers they build on."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from models_catalog.api.references import ModelReferenceOutputSerializer
from reviews.api.serializers import (
    VERSION_MAX,
    ReviewOwnOutputSerializer,
    note_field,
    review_url,
)
from reviews.models import (
    IntegrityFlag,
    ModelSurge,
    ModerationAction,
    ReportReason,
    Review,
    ReviewStatus,
    SurgeKind,
)
from reviews.selectors import WAITING_REASONS, review_waiting_for


def _revision_seen() -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False, min_value=1,
        help_text="The `revision` you read in the queue; if the author changed the text since, "
        "nothing happens and the answer is 409 `revision_changed`. Optional.",
    )  # fmt: skip


class ReviewVerifyInputSerializer(serializers.Serializer):
    usage_verified = serializers.BooleanField(
        default=False, help_text="Also show the usage-verified badge (evidence seen)."
    )
    note = note_field("Note for the audit log and the author.")
    revision = _revision_seen()


class ReviewHideInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ReportReason.choices, help_text="Why.")
    note = note_field("Note for the audit log and the author.")


class ReviewRejectInputSerializer(ReviewHideInputSerializer):
    revision = _revision_seen()


class ReviewModerationNoteInputSerializer(serializers.Serializer):
    note = note_field("Note for the audit log and the author.")


class ModerationQueueFilterInputSerializer(serializers.Serializer):
    model = serializers.CharField(
        required=False, max_length=VERSION_MAX, help_text="Model slug, e.g. `openai/o4-mini`."
    )
    reason = serializers.ChoiceField(
        choices=ReportReason.choices, required=False,
        help_text="Only items with an open report of this reason.",
    )  # fmt: skip
    surge = serializers.IntegerField(
        required=False, min_value=1,
        help_text="A surge's id: every review of that surge, waiting or not, in arrival order.",
    )  # fmt: skip
    flag = serializers.ChoiceField(
        choices=IntegrityFlag.Kind.choices, required=False,
        help_text="Only items with an integrity flag of this kind.",
    )  # fmt: skip


class SurgeFilterInputSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=ModelSurge.State.choices, required=False, help_text="`open`, `released` or "
        "`rejected`.",
    )  # fmt: skip
    model = serializers.CharField(
        required=False, max_length=VERSION_MAX, help_text="Model slug, e.g. `openai/o4-mini`."
    )


class SurgeRejectInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=ReportReason.choices, default=ReportReason.SPAM,
        help_text="Reason given to each member's author (default `spam`).",
    )  # fmt: skip
    note = note_field("Note for the audit log and the authors.")


class SurgeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Use it as `surge` in the queue filter.")
    model = ModelReferenceOutputSerializer(help_text="The model.")
    kind = serializers.ChoiceField(
        choices=SurgeKind.choices, help_text="`review_surge` or `report_surge`."
    )
    state = serializers.ChoiceField(
        choices=ModelSurge.State.choices, help_text="`open`, `released` or `rejected`."
    )
    since = serializers.DateTimeField(help_text="When it was detected.")
    member_count = serializers.IntegerField(help_text="Reviews that arrived during it.")
    evidence = serializers.JSONField(
        help_text="What detection saw: per count (reviews, new-account reviews, reports) the "
        "number in the window, the baseline, and the threshold."
    )
    resolved_by = serializers.CharField(
        source="resolved_by.username", allow_null=True, default=None,
        help_text="The moderator who released or rejected it; null while open.",
    )  # fmt: skip
    resolved_at = serializers.DateTimeField(allow_null=True, help_text="When; null while open.")
    note = serializers.CharField(help_text="The moderator's note.")


class IntegrityFlagOutputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IntegrityFlag.Kind.choices, help_text="The signal.")
    similar_review = serializers.UUIDField(
        source="similar_review.public_id", allow_null=True, default=None,
        help_text="The review that looks alike, or one of the ring's reviews.",
    )  # fmt: skip
    score = serializers.FloatField(
        allow_null=True, help_text="pg_trgm similarity 0-1 (near-duplicates); null for rings."
    )
    evidence = serializers.JSONField(help_text="Details: same author, ring size and members.")
    created_at = serializers.DateTimeField(help_text="When.")


class ModerationEventFilterInputSerializer(serializers.Serializer):
    review = serializers.UUIDField(required=False, help_text="A review's id.")
    actor = serializers.CharField(
        required=False, max_length=150, help_text="The acting moderator's username."
    )
    action = serializers.ChoiceField(
        choices=ModerationAction.choices, required=False, help_text="One kind of action."
    )


class OpenReportOutputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ReportReason.choices, help_text="Why.")
    note = serializers.CharField(help_text="The reporter's note.")
    reporter = serializers.CharField(source="reporter.username", help_text="Who reported it.")
    created_at = serializers.DateTimeField(help_text="When.")


class ModerationReviewOutputSerializer(ReviewOwnOutputSerializer):
    """A review as moderators work it: why it waits, the edit and the open reports."""

    viewer = None  # type: ignore[assignment]  # the reader's own vote and report are no part of the moderation view

    queued_at = serializers.DateTimeField(
        allow_null=True, help_text="Since when it waits in the queue; null if it does not."
    )
    waiting_for = serializers.SerializerMethodField(
        help_text="`review` (new or appeal), `edit` (of the published text), `reports`."
    )
    open_reports = OpenReportOutputSerializer(many=True, help_text="Reports not yet decided.")
    surge = serializers.IntegerField(
        source="surge_id", allow_null=True,
        help_text="The surge the review arrived during (queue filter `surge`), or null.",
    )  # fmt: skip
    rating_held = serializers.BooleanField(
        help_text="Held out of the rating until its surge is released."
    )
    integrity_flags = IntegrityFlagOutputSerializer(
        source="flags", many=True,
        help_text="Near-duplicate and ring signals with evidence; they never reject anything.",
    )  # fmt: skip
    integrity_scanned = serializers.SerializerMethodField(
        help_text="Whether the near-duplicate and ring scan of the current text has run. It "
        "runs shortly after the review is written or appealed, not in that request: while "
        "false, an empty `integrity_flags` means only that nothing was looked for yet."
    )
    revision = serializers.SerializerMethodField(
        help_text="Number of the revision up for decision (the pending text, or the edit "
        "waiting); send it back as `revision` with verify or reject so that a text the author "
        "changed meanwhile is not decided unseen (409 `revision_changed`). Null if none."
    )

    @extend_schema_field(serializers.BooleanField())
    def get_integrity_scanned(self, review: Review) -> bool:
        return review.integrity_scan_due_at is None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_revision(self, review: Review) -> int | None:
        # `pending_revisions` is preloaded by the moderation selectors.
        return review.pending_revisions[0].number if review.pending_revisions else None

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(list(WAITING_REASONS)))
    )
    def get_waiting_for(self, review: Review) -> list[str]:
        return review_waiting_for(review)


class ModerationEventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Position in the audit log.")
    review = serializers.UUIDField(source="review.public_id", help_text="The review's id.")
    review_url = serializers.SerializerMethodField(help_text="The review (absolute).")
    model = ModelReferenceOutputSerializer(source="review.model", help_text="The reviewed model.")
    actor = serializers.SerializerMethodField(
        help_text="Username of who acted; null when the system did (automatic hiding or "
        "requeueing after reports)."
    )
    action = serializers.ChoiceField(choices=ModerationAction.choices, help_text="What.")
    from_status = serializers.ChoiceField(
        choices=ReviewStatus.choices, allow_blank=True,
        help_text="Status before; blank for a new review.",
    )  # fmt: skip
    to_status = serializers.ChoiceField(choices=ReviewStatus.choices, help_text="Status after.")
    reason = serializers.ChoiceField(
        choices=ReportReason.choices, allow_blank=True, help_text="Why; blank when none."
    )
    note = serializers.CharField(help_text="Note given with the action.")
    revision_number = serializers.IntegerField(
        allow_null=True, help_text="The revision the action was about, if any."
    )
    created_at = serializers.DateTimeField(help_text="When.")

    @extend_schema_field(OpenApiTypes.URI)
    def get_review_url(self, event: Any) -> str:
        return review_url(self.context, event.review)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, event: Any) -> str | None:
        return None if event.actor is None else event.actor.username
