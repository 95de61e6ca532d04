"""Serializers of the moderation API (the queue, the actions, the audit log); one per
operation and direction, like the review serializers they build on."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews.api.serializers import VERSION_MAX, ReviewOwnOutputSerializer, note_field
from reviews.models import ModerationAction, ReportReason, Review
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
    revision = serializers.SerializerMethodField(
        help_text="Number of the revision up for decision (the pending text, or the edit "
        "waiting); send it back as `revision` with verify or reject so that a text the author "
        "changed meanwhile is not decided unseen (409 `revision_changed`). Null if none."
    )

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
    model = serializers.CharField(source="review.model.slug", help_text="The reviewed model.")
    actor = serializers.SerializerMethodField(
        help_text="Username of who acted; null when the system did (automatic hiding or "
        "requeueing after reports)."
    )
    action = serializers.ChoiceField(choices=ModerationAction.choices, help_text="What.")
    from_status = serializers.CharField(help_text="Status before; blank for a new review.")
    to_status = serializers.CharField(help_text="Status after.")
    reason = serializers.CharField(help_text=f"One of {ReportReason.values}, or blank.")
    note = serializers.CharField(help_text="Note given with the action.")
    revision_number = serializers.IntegerField(
        allow_null=True, help_text="The revision the action was about, if any."
    )
    created_at = serializers.DateTimeField(help_text="When.")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, event: Any) -> str | None:
        return None if event.actor is None else event.actor.username
