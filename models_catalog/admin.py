"""Admin for editors: curate editorial content and the listing-verified flag.

Imported history (prices, metric values) is read-only here: it is the record of what each
source said on each date. Attribute edits go through `model_update_by_editor`, which marks
them as the editor's so that no later import overwrites them.
"""

from typing import Any, cast

from django.contrib import admin, messages
from django.db import models as db_models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join

from accounts.permissions import AuthenticatedHttpRequest
from models_catalog.memberships import membership_grant, membership_revoke
from models_catalog.models import (
    AIModel,
    BestForUseCase,
    EditorialPoint,
    FAQEntry,
    MembershipRole,
    Metric,
    MetricValue,
    ModelAlias,
    ModelFamily,
    Price,
    Provider,
    ProviderDomain,
    ProviderMembership,
    Route,
)
from models_catalog.services import catalog_documents_invalidate, model_update_by_editor

SPECIFICATION_FIELDS = (
    "input_modalities",
    "output_modalities",
    "context_window",
    "max_output_tokens",
    "open_weights",
    "parameter_count",
    "knowledge_cutoff",
    "release_date",
    "tokenizer",
    "supported_parameters",
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PriceInline(ReadOnlyInline):
    model = Price
    fields = (
        "offering", "input_per_mtok", "output_per_mtok", "cached_input_per_mtok", "source", "as_of",
    )  # fmt: skip
    ordering = ("offering", "-as_of")


class RouteInline(ReadOnlyInline):
    model = Route
    fields = (
        "key", "name", "kind", "region", "route_model_id", "input_per_mtok", "output_per_mtok",
        "source", "as_of",
    )  # fmt: skip
    ordering = ("kind", "key")


class MetricValueInline(ReadOnlyInline):
    model = MetricValue
    fields = ("metric", "value", "ci_low", "ci_high", "source", "via", "as_of")
    ordering = ("metric__key", "-as_of")


class BestForInline(admin.TabularInline):
    model = BestForUseCase
    extra = 0
    fields = ("position", "title", "text")


class EditorialPointInline(admin.TabularInline):
    model = EditorialPoint
    extra = 0
    fields = ("position", "kind", "text")


class FAQInline(admin.StackedInline):
    model = FAQEntry
    extra = 0
    fields = ("position", "question", "answer")


class CatalogAdmin(admin.ModelAdmin):
    """Every admin save or delete invalidates the pre-rendered catalog documents (inlines,
    providers, families, metrics and aliases are saved by the admin itself, not a service)."""

    # Editors type "example.com": the form keeps it as https:// (Django 6's default; 5.2
    # warns that its http:// default changes).
    formfield_overrides = {db_models.URLField: {"assume_scheme": "https"}}

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        catalog_documents_invalidate()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        catalog_documents_invalidate()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        catalog_documents_invalidate()

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        super().delete_queryset(request, queryset)
        catalog_documents_invalidate()


@admin.register(AIModel)
class AIModelAdmin(CatalogAdmin):
    list_display = ("slug", "name", "provider", "lifecycle", "listing_verified", "current_price")
    list_filter = ("listing_verified", "lifecycle", "open_weights", "provider")
    list_editable = ("listing_verified",)
    search_fields = ("slug", "name", "version_slug")
    list_select_related = ("provider", "family", "current_price", "current_price__model")
    autocomplete_fields = ("provider", "family", "successor")
    readonly_fields = ("current_price", "sources", "created_at", "updated_at")
    inlines = (
        BestForInline, EditorialPointInline, FAQInline, PriceInline, RouteInline,
        MetricValueInline,
    )  # fmt: skip
    fieldsets = (
        (None, {"fields": ("slug", "version_slug", "name", "provider", "family", "description")}),
        # Empty tagline / verdict / FAQ: the page shows text generated from facts instead.
        ("Editorial", {"fields": ("listing_verified", "tagline", "editor_verdict")}),
        ("Specification", {"fields": SPECIFICATION_FIELDS}),
        ("Lifecycle", {"fields": ("lifecycle", "deprecation_date", "successor")}),
        ("Sources", {"fields": ("current_price", "sources", "created_at", "updated_at")}),
    )
    filter_horizontal = ("input_modalities", "output_modalities")

    @admin.display(description="Where each value came from")
    def sources(self, obj: AIModel) -> str:
        rows = sorted(
            (name, p["source"], p["as_of"])
            for name, p in obj.provenance.items()
            if isinstance(p, dict) and "source" in p
        )
        return format_html_join("\n", "<div>{}: {} ({})</div>", rows) or "-"

    def save_model(self, request: HttpRequest, obj: AIModel, form: Any, change: bool) -> None:
        model_update_by_editor(obj, list(form.changed_data))


class ProviderDomainInline(admin.TabularInline):
    """Domains whose verified addresses make an account a member (the domain rule)."""

    model = ProviderDomain
    extra = 0
    fields = ("domain",)


@admin.register(Provider)
class ProviderAdmin(CatalogAdmin):
    list_display = ("slug", "name", "website")
    search_fields = ("slug", "name")
    inlines = (ProviderDomainInline,)


@admin.register(ProviderMembership)
class ProviderMembershipAdmin(admin.ModelAdmin):
    """Staff grant membership here: adding a row, or the actions, go through the services
    (which record the change for the reviews' conflict-of-interest marks)."""

    list_display = ("user", "provider", "role", "basis", "granted_by", "created_at")
    list_filter = ("role", "basis", "provider")
    search_fields = ("user__username", "user__email", "provider__slug")
    autocomplete_fields = ("provider",)
    raw_id_fields = ("user",)
    fields = ("provider", "user", "role")
    actions = ("make_manager", "make_member", "revoke")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("provider", "user") if obj else ()

    def save_model(
        self, request: HttpRequest, obj: ProviderMembership, form: Any, change: bool
    ) -> None:
        # The admin site lets only signed-in staff in: the user is a User.
        staff = cast(AuthenticatedHttpRequest, request).user
        granted = membership_grant(
            provider=obj.provider, user=obj.user, role=obj.role, granted_by=staff
        )
        obj.pk = granted.pk

    def delete_model(self, request: HttpRequest, obj: ProviderMembership) -> None:
        membership_revoke(provider=obj.provider, user=obj.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._revoke_all(queryset)

    def _set_role(self, request: AuthenticatedHttpRequest, queryset: QuerySet, role: str) -> None:
        for row in queryset.select_related("provider", "user"):
            membership_grant(
                provider=row.provider, user=row.user, role=role, granted_by=request.user
            )
        self.message_user(request, f"{queryset.count()} set to {role}.", messages.SUCCESS)

    @admin.action(description="Make the selected members managers")
    def make_manager(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> None:
        self._set_role(request, queryset, MembershipRole.MANAGER)

    @admin.action(description="Make the selected managers plain members")
    def make_member(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> None:
        self._set_role(request, queryset, MembershipRole.MEMBER)

    def _revoke_all(self, queryset: QuerySet) -> int:
        rows = list(queryset.select_related("provider", "user"))
        for row in rows:
            membership_revoke(provider=row.provider, user=row.user)
        return len(rows)

    @admin.action(description="Revoke the selected memberships")
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = self._revoke_all(queryset)
        self.message_user(request, f"{count} membership(s) revoked.", messages.SUCCESS)


@admin.register(ModelFamily)
class ModelFamilyAdmin(CatalogAdmin):
    list_display = ("slug", "name", "provider")
    list_filter = ("provider",)
    search_fields = ("slug", "name", "provider__name")
    autocomplete_fields = ("provider",)


@admin.register(Metric)
class MetricAdmin(CatalogAdmin):
    list_display = ("key", "name", "unit", "direction")


@admin.register(ModelAlias)
class ModelAliasAdmin(CatalogAdmin):
    list_display = ("slug", "model", "source", "as_of")
    search_fields = ("slug", "model__slug")
    autocomplete_fields = ("model",)
