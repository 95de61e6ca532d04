"""Admin for moderators: the same actions as the moderation API, through the same services.

Everything is read-only: a status is never edited by hand, because a raw edit would skip the
audit log, the author's mail, the reports and the rating's stale mark. Reject and hide take
their reason (and an optional note) from the fields beside the action menu.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import MODERATE_PERMISSION
from accounts.permissions import AuthenticatedHttpRequest
from config.exceptions import ApplicationError
from reviews import services
from reviews.integrity import surges
from reviews.models import (
    ModelSurge,
    ModerationEvent,
    Report,
    ReportReason,
    Review,
    ReviewRevision,
)


class ModerationActionForm(ActionForm):
    reason = forms.ChoiceField(
        choices=[("", "reason (reject, hide)…"), *ReportReason.choices], required=False
    )
    note = forms.CharField(required=False, max_length=2000, label="note")


def _can_moderate(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.has_perm(MODERATE_PERMISSION)


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _can_moderate(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _can_moderate(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _can_moderate(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RevisionInline(_ReadOnlyInline):
    model = ReviewRevision
    fields = ("number", "state", "created_at", "rating", "title", "body", "model_version")
    readonly_fields = fields
    ordering = ("number",)


class ReportInline(_ReadOnlyInline):
    model = Report
    fields = ("created_at", "reporter", "reason", "note", "state", "resolved_at")
    readonly_fields = fields


class EventInline(_ReadOnlyInline):
    model = ModerationEvent
    fields = ("created_at", "actor", "action", "from_status", "to_status", "reason", "note")
    readonly_fields = fields


def _run(
    request: HttpRequest, queryset: QuerySet[Review], call: Callable[[Review], Any], done: str
) -> None:
    """Call the service for each selected review; report successes and each refusal."""
    succeeded = 0
    for review in queryset:
        try:
            call(review)
            succeeded += 1
        except ApplicationError as error:
            messages.error(request, f"{review.public_id}: {error.message} ({error.code})")
    if succeeded:
        messages.success(request, f"{succeeded} review(s) {done}.")


def _form(request: HttpRequest) -> tuple[str, str]:
    return request.POST.get("reason", ""), request.POST.get("note", "")


@admin.register(Review)
class ReviewAdmin(_ReadOnlyAdmin):
    action_form = ModerationActionForm
    actions = ["verify", "verify_usage", "reject", "hide", "restore"]
    list_display = (
        "title", "model", "author", "status", "rating", "has_pending_edit", "queued_at",
        "conflict_of_interest", "usage_verified", "helpful_count", "created_at",
    )  # fmt: skip
    list_filter = (
        "status",
        "has_pending_edit",
        "usage_verified",
        "conflict_of_interest",
        ("model", admin.RelatedOnlyFieldListFilter),
        ("model__provider", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("model", "author")
    search_fields = ("title", "body", "model__slug", "author__username", "=public_id")
    ordering = ("-created_at",)
    readonly_fields = [f.name for f in Review._meta.fields]
    inlines = [RevisionInline, ReportInline, EventInline]

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return _can_moderate(request)

    @admin.action(description="Verify (publish / apply the edit)", permissions=["moderate"])
    def verify(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Review]) -> None:
        _, note = _form(request)
        _run(
            request, queryset,
            lambda r: services.review_verify(review=r, moderator=request.user, note=note),
            "verified",
        )  # fmt: skip

    @admin.action(description="Mark usage as verified", permissions=["moderate"])
    def verify_usage(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Review]) -> None:
        _, note = _form(request)
        _run(
            request, queryset,
            lambda r: services.review_mark_usage_verified(
                review=r, moderator=request.user, note=note
            ),
            "marked usage-verified",
        )  # fmt: skip

    @admin.action(description="Reject (needs a reason)", permissions=["moderate"])
    def reject(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Review]) -> None:
        reason, note = _form(request)
        _run(
            request, queryset,
            lambda r: services.review_reject(
                review=r, moderator=request.user, reason=reason, note=note
            ),
            "rejected",
        )  # fmt: skip

    @admin.action(description="Hide (needs a reason)", permissions=["moderate"])
    def hide(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Review]) -> None:
        reason, note = _form(request)
        _run(
            request, queryset,
            lambda r: services.review_hide(
                review=r, moderator=request.user, reason=reason, note=note
            ),
            "hidden",
        )  # fmt: skip

    @admin.action(description="Restore (publish again)", permissions=["moderate"])
    def restore(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Review]) -> None:
        _, note = _form(request)
        _run(
            request, queryset,
            lambda r: services.review_restore(review=r, moderator=request.user, note=note),
            "restored",
        )  # fmt: skip


@admin.register(ModerationEvent)
class ModerationEventAdmin(_ReadOnlyAdmin):
    list_display = (
        "created_at", "action", "review", "actor", "from_status", "to_status", "reason",
    )  # fmt: skip
    list_filter = ("action", "reason")
    list_select_related = ("review", "actor")
    search_fields = ("review__public_id", "actor__username", "note")
    readonly_fields = [f.name for f in ModerationEvent._meta.fields]


@admin.register(ModelSurge)
class ModelSurgeAdmin(_ReadOnlyAdmin):
    """Surges (issue 13): release or reject a surge's reviews as a batch, as the API does."""

    action_form = ModerationActionForm
    actions = ["release", "reject"]
    list_display = ("model", "kind", "state", "since", "resolved_by", "resolved_at")
    list_filter = ("state", "kind")
    list_select_related = ("model", "resolved_by")
    ordering = ("-since",)
    readonly_fields = [f.name for f in ModelSurge._meta.fields]

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return _can_moderate(request)

    def _each(
        self, request: HttpRequest, queryset: QuerySet[ModelSurge], call: Callable, done: str
    ) -> None:
        for surge in queryset:
            try:
                call(surge)
                messages.success(request, f"Surge {surge.pk} {done}.")
            except ApplicationError as error:
                messages.error(request, f"Surge {surge.pk}: {error.message} ({error.code})")

    @admin.action(description="Release (its reviews count)", permissions=["moderate"])
    def release(self, request: AuthenticatedHttpRequest, queryset: QuerySet[ModelSurge]) -> None:
        _, note = _form(request)
        self._each(
            request, queryset,
            lambda s: surges.surge_release(surge_id=s.pk, moderator=request.user, note=note),
            "released",
        )  # fmt: skip

    @admin.action(description="Reject its reviews as a batch", permissions=["moderate"])
    def reject(self, request: AuthenticatedHttpRequest, queryset: QuerySet[ModelSurge]) -> None:
        reason, note = _form(request)
        self._each(
            request, queryset,
            lambda s: surges.surge_reject(
                surge_id=s.pk, moderator=request.user, reason=reason or "spam", note=note
            ),
            "rejected",
        )  # fmt: skip
