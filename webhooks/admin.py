"""Subscriptions in the admin: staff register them for integrators (the secret is shown once,
in the confirmation message), see why one was disabled, and follow its deliveries."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.http import HttpRequest

from webhooks import services
from webhooks.exceptions import WebhookUrlRefused
from webhooks.models import WebhookDelivery, WebhookEventType, WebhookSubscription


class WebhookSubscriptionForm(ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookSubscription
        fields = ["owner", "url", "description", "event_types", "filter_provider"]
        fields += ["filter_models"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            services.url_validate(url)
        except WebhookUrlRefused as exc:
            raise ValidationError(exc.message) from exc
        return url

    def clean_event_types(self) -> list[str]:
        types = self.cleaned_data["event_types"]
        known = set(WebhookEventType.values)
        if not isinstance(types, list) or not types or not set(types) <= known:
            raise ValidationError(f"A list of event types among: {', '.join(sorted(known))}.")
        return types


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ["id", "url", "owner", "is_active", "disabled_at", "created_at"]
    list_filter = ["is_active"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner", "filter_provider"]
    filter_horizontal = ["filter_models"]
    fields = [
        "owner", "url", "description", "event_types", "filter_provider", "filter_models",
        "is_active", "disabled_at", "disabled_reason",
    ]  # fmt: skip
    readonly_fields = ["is_active", "disabled_at", "disabled_reason"]

    def save_model(
        self, request: HttpRequest, obj: WebhookSubscription, form: ModelForm, change: bool
    ) -> None:
        # The form checked the URL; `save_related` then sets the models filter on the row.
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.subscription_create(
            owner=obj.owner, url=obj.url, event_types=obj.event_types,
            provider=obj.filter_provider, description=obj.description,
        )  # fmt: skip
        obj.pk = created.pk
        obj.secret = created.secret
        messages.warning(
            request, f"Signing secret, shown once: {created.secret}", fail_silently=True
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "subscription", "event_type", "state", "attempts", "last_status"]
    list_filter = ["state", "event_type"]
    list_select_related = ["subscription"]
    readonly_fields = [
        "subscription", "event", "event_type", "body", "state", "attempts", "next_attempt_at",
        "claimed_at", "finished_at", "last_status", "last_error", "response_excerpt",
        "created_at",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
