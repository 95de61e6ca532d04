"""The outbox in the admin, read-only: staff see what was delivered, what waits for a retry
and what failed for good (with the error). Nothing is edited by hand."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from events.models import Delivery, Event

# Payload keys that hold a message's text (accounts.mail: a verification key, a password-reset
# link): staff see that a mail was recorded and to whom, never what would let them use it.
HIDDEN_PAYLOAD_KEYS = frozenset({"body", "html_body"})


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ["consumer", "state", "attempts", "next_attempt_at", "finished_at", "last_error"]
    readonly_fields = ["consumer", "state", "attempts", "next_attempt_at", "finished_at"]
    readonly_fields += ["last_error"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(_ReadOnly):
    list_display = ["id", "type", "created_at"]
    list_filter = ["type"]
    fields = ["type", "payload_shown", "created_at"]
    readonly_fields = ["type", "payload_shown", "created_at"]
    inlines = [DeliveryInline]

    @admin.display(description="payload")
    def payload_shown(self, event: Event) -> dict[str, Any]:
        payload = event.payload if isinstance(event.payload, dict) else {}
        return {k: "(hidden)" if k in HIDDEN_PAYLOAD_KEYS else v for k, v in payload.items()}


@admin.register(Delivery)
class DeliveryAdmin(_ReadOnly):
    list_display = ["id", "consumer", "event", "state", "attempts", "next_attempt_at", "result"]
    list_filter = ["state", "consumer"]
    list_select_related = ["event"]
    readonly_fields = [
        "event", "consumer", "state", "attempts", "next_attempt_at", "claimed_at",
        "finished_at", "result", "last_error",
    ]  # fmt: skip
