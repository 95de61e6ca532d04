"""Admin for moderators: the same actions as the moderation API, through the same services.

Everything is read-only: a status is never edited by hand, because a raw edit would skip the
audit log, the author's mail, the reports and the rating's stale mark. Reject and hide take
their reason (and an optional note) from the fields beside the action menu.

Verify and reject carry the revision the moderator read: the list shows the number of the
revision waiting and posts it back with the action (a hidden input per row, inside the
action form), so an edit the author made meanwhile is refused ("reload"), never published
unseen. When MODERATION_REQUIRE_MFA is on, only a session that passed the second factor may
act (the admin's sign-in is allauth's, config/urls.py).
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import F, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import MODERATE_PERMISSION
from accounts.permissions import AuthenticatedHttpRequest
from accounts.selectors import moderation_access_get
from config.exceptions import ApplicationError
from reviews import services
from reviews.exceptions import RevisionChanged
from reviews.integrity import surges
from reviews.models import (
    ModelSurge,
    ModerationEvent,
    Report,
    ReportReason,
    Review,
    ReviewRevision,
)
from reviews.selectors import review_waiting_for
from reviews.services.workflow import pending_revision
from reviews.web.access import refusal
from reviews.web.cards import WAITING_LABELS
from reviews.web.diff import stars, usage_label, use_cases_label
from reviews.web.messages import human_message

SEEN_REVISION_FIELD = "seen_revision_{pk}"
RELOAD = "It changed since you opened it; reload the page and read it again."


class ModerationActionForm(ActionForm):
    reason = forms.ChoiceField(
        choices=[("", "reason (reject, hide)…"), *ReportReason.choices], required=False
    )
    note = forms.CharField(required=False, max_length=2000, label="note")


def _can_moderate(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.has_perm(MODERATE_PERMISSION)


def _may_act(request: HttpRequest) -> bool:
    """Moderation actions need the permission and, when required, a second-factor session."""
    user = request.user
    if not user.is_authenticated:
        return False
    return moderation_access_get(user, session=request.session).allowed


def _seen_revision(request: HttpRequest, review: Review) -> int | None:
    """The revision the moderator read, as posted back by the list (0: none was waiting).

    Raises RevisionChanged when the list did not say (an old page) or when what waits now
    is not what they read."""
    raw = request.POST.get(SEEN_REVISION_FIELD.format(pk=review.pk), "")
    if not raw.isdigit():
        raise RevisionChanged(RELOAD)
    seen = int(raw)
    if seen == 0:
        # Nothing was waiting (a reported published review); something waiting now is new.
        if pending_revision(review) is not None:
            raise RevisionChanged(RELOAD)
        return None
    return seen


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
    """Every revision by number; the texts are read (and diffed) in the workbench, so the
    body is not repeated here."""

    model = ReviewRevision
    fields = ("number", "state", "created_at", "rating", "title", "model_version")
    readonly_fields = fields
    ordering = ("number",)


def _person_link(user: Any) -> str:
    """A person, linked to their reviews in the workbench (the user admin is not a
    moderator's to open)."""
    if user is None:
        return "the system"
    url = reverse("moderation:author", args=[user.username])
    return format_html('<a href="{}">{}</a>', url, user)


class ReportInline(_ReadOnlyInline):
    model = Report
    fields = ("created_at", "reporter_link", "reason", "note", "state", "resolved_at")
    readonly_fields = fields

    @admin.display(description="reporter")
    def reporter_link(self, report: Report) -> str:
        return _person_link(report.reporter)


def _transition(event: ModerationEvent) -> str:
    before = event.get_from_status_display()
    return (
        f"{before} → {event.get_to_status_display()}" if before else event.get_to_status_display()
    )


class EventInline(_ReadOnlyInline):
    model = ModerationEvent
    fields = ("created_at", "actor_link", "action", "change", "reason", "note")
    readonly_fields = fields
    ordering = ("created_at", "id")

    @admin.display(description="who")
    def actor_link(self, event: ModerationEvent) -> str:
        return _person_link(event.actor)

    @admin.display(description="status")
    def change(self, event: ModerationEvent) -> str:
        return _transition(event)


def _run(
    request: HttpRequest, queryset: QuerySet[Review], call: Callable[[Review], Any], done: str
) -> None:
    """Call the service for each selected review; report successes and each refusal."""
    succeeded = 0
    for review in queryset:
        try:
            call(review)
            succeeded += 1
        except RevisionChanged:
            messages.error(request, f"“{review.title}”: {RELOAD}")
        except ApplicationError as error:
            messages.error(request, f"“{review.title}”: {human_message(error)}")
    if succeeded:
        messages.success(request, f"{succeeded} review(s) {done}.")


def _form(request: HttpRequest) -> tuple[str, str]:
    return request.POST.get("reason", ""), request.POST.get("note", "")


def _reason_missing(request: HttpRequest, reason: str) -> bool:
    if reason in ReportReason.values:
        return False
    messages.error(request, "Choose a reason (beside the action menu) first; nothing was done.")
    return True


class QueueFilter(admin.SimpleListFilter):
    """What the API's queue holds: pending reviews, edits waiting and reported reviews."""

    title = "moderation queue"
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("waiting", "Waiting for a moderator")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Review]) -> QuerySet[Review]:
        if self.value() == "waiting":
            return queryset.filter(queued_at__isnull=False)
        return queryset


@admin.register(Review)
class ReviewAdmin(_ReadOnlyAdmin):
    action_form = ModerationActionForm
    actions = ["verify", "verify_usage", "reject", "hide", "restore"]
    list_display = (
        "title", "model", "author", "status", "waiting_for", "revision_waiting", "rating",
        "queued_at", "conflict_of_interest", "usage_verified", "created_at",
    )  # fmt: skip
    list_filter = (
        QueueFilter,
        "status",
        "has_pending_edit",
        "usage_verified",
        "conflict_of_interest",
        ("model", admin.RelatedOnlyFieldListFilter),
        ("model__provider", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("model", "author")
    search_fields = ("title", "body", "model__slug", "author__username", "=public_id")
    # The queue's order first (oldest waiting first, as the API and the workbench), then
    # everything else newest first.
    ordering = (F("queued_at").asc(nulls_last=True), "-created_at", "id")
    # The fields a moderator reads, in reading order; links lead to the workbench's author
    # and model pages (the user and catalog admins are not theirs to open).
    fieldsets = (
        ("The review", {"fields": (
            "title", "body", "pros", "cons", "stars", "use_cases_label", "usage",
            "model_version",
        )}),
        ("Who and what", {"fields": (
            "author_link", "model_link", "conflict_of_interest", "usage_verified",
        )}),
        ("Moderation", {"fields": (
            "workbench_link", "status", "waiting_for", "queued_at", "flagged_at",
            "last_moderation_action", "last_moderation_reason", "last_moderation_note",
            "last_moderated_at", "surge", "rating_held",
        )}),
        ("Dates and counts", {"fields": (
            "created_at", "published_at", "updated_at", "helpful_count", "not_helpful_count",
            "public_id",
        )}),
    )  # fmt: skip
    readonly_fields = [
        *[f.name for f in Review._meta.fields],
        "stars", "use_cases_label", "usage", "author_link", "model_link", "workbench_link",
        "waiting_for",
    ]  # fmt: skip
    inlines = [RevisionInline, ReportInline, EventInline]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # A moderator who may not act in this session is told why (and what to do), rather
        # than finding the actions silently gone.
        if _can_moderate(request) and request.method == "GET":
            why = refusal(request)
            if why is not None:
                messages.warning(request, why)
        return super().changelist_view(request, extra_context)

    @admin.display(description="waiting for")
    def waiting_for(self, review: Review) -> str:
        return ", ".join(WAITING_LABELS[name] for name in review_waiting_for(review)) or "—"

    @admin.display(description="ratings")
    def stars(self, review: Review) -> str:
        parts = [f"overall {stars(review.rating)}"]
        parts += [
            f"{name} {stars(getattr(review, name))}"
            for name in ("quality", "speed", "value", "reliability", "integration")
            if getattr(review, name) is not None
        ]
        return ", ".join(parts)

    @admin.display(description="use cases")
    def use_cases_label(self, review: Review) -> str:
        return use_cases_label(review.use_cases)

    @admin.display(description="usage")
    def usage(self, review: Review) -> str:
        return usage_label(review)

    @admin.display(description="author")
    def author_link(self, review: Review) -> str:
        url = reverse("moderation:author", args=[review.author.username])
        return format_html('<a href="{}">{}</a> (their reviews)', url, review.author)

    @admin.display(description="model")
    def model_link(self, review: Review) -> str:
        url = reverse("moderation:model", args=[review.model.slug])
        return format_html('<a href="{}">{}</a> (its reviews)', url, review.model.name)

    @admin.display(description="workbench")
    def workbench_link(self, review: Review) -> str:
        url = reverse("moderation:review", args=[review.public_id])
        return format_html(
            '<a href="{}">Open in the moderation workbench</a> (diff, evidence, actions)', url
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Review]:
        pending = ReviewRevision.objects.filter(state=ReviewRevision.State.PENDING)
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("revisions", pending, to_attr="admin_pending_revisions"))
        )

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return _may_act(request)

    @admin.display(description="revision")
    def revision_waiting(self, review: Review) -> str:
        """The number of the revision waiting (blank if none), and the same number as a
        hidden input that the action form posts back (see `_seen_revision`)."""
        waiting = getattr(review, "admin_pending_revisions", None)
        revision = waiting[0] if waiting else (None if waiting == [] else pending_revision(review))
        number = revision.number if revision is not None else 0
        return format_html(
            '{}<input type="hidden" name="{}" value="{}">',
            number or "",
            SEEN_REVISION_FIELD.format(pk=review.pk),
            number,
        )

    @admin.action(description="Verify (publish / apply the edit)", permissions=["moderate"])
    def verify(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Review]) -> None:
        _, note = _form(request)
        _run(
            request, queryset,
            lambda r: services.review_verify(
                review=r, moderator=request.user, note=note,
                revision=_seen_revision(request, r),
            ),
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
        if _reason_missing(request, reason):
            return
        _run(
            request, queryset,
            lambda r: services.review_reject(
                review=r, moderator=request.user, reason=reason, note=note,
                revision=_seen_revision(request, r),
            ),
            "rejected",
        )  # fmt: skip

    @admin.action(description="Hide (needs a reason)", permissions=["moderate"])
    def hide(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Review]) -> None:
        reason, note = _form(request)
        if _reason_missing(request, reason):
            return
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
    # Short columns first, so that at 1440 px the change and the reason are on screen; the
    # review's title (long) comes last.
    list_display = ("created_at", "action", "change", "reason", "actor", "review_title")
    list_filter = ("action", "reason")
    list_select_related = ("review", "actor")
    ordering = ("-created_at", "-id")

    @admin.display(description="status")
    def change(self, event: ModerationEvent) -> str:
        return _transition(event)

    @admin.display(description="review")
    def review_title(self, event: ModerationEvent) -> str:
        title = event.review.title
        return title if len(title) <= 60 else f"{title[:57]}…"

    @admin.display(description="who")
    def actor_link(self, event: ModerationEvent) -> str:
        return _person_link(event.actor)

    @admin.display(description="review")
    def review_link(self, event: ModerationEvent) -> str:
        url = reverse("moderation:review", args=[event.review.public_id])
        return format_html('<a href="{}">{}</a>', url, event.review.title)

    search_fields = ("review__public_id", "actor__username", "note")
    fields = (
        "created_at", "actor_link", "action", "change", "reason", "note", "revision_number",
        "review_link",
    )  # fmt: skip
    readonly_fields = fields


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
                messages.success(request, f"The surge on {surge.model.name}: {done}.")
            except ApplicationError as error:
                messages.error(request, f"The surge on {surge.model.name}: {human_message(error)}")

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
