"""Admin for editors: curate editorial content and the listing-verified flag.

Imported history (prices, metric values) is read-only here: it is the record of what each
source said on each date. Attribute edits go through `model_update_by_editor`, which marks
them as the editor's so that no later import overwrites them.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html_join

from models_catalog.models import (
    AIModel,
    BestForUseCase,
    EditorialPoint,
    FAQEntry,
    Metric,
    MetricValue,
    ModelAlias,
    ModelFamily,
    Price,
    Provider,
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
    inlines = (BestForInline, EditorialPointInline, FAQInline, PriceInline, MetricValueInline)
    fieldsets = (
        (None, {"fields": ("slug", "version_slug", "name", "provider", "family", "description")}),
        ("Editorial", {"fields": ("listing_verified", "editor_verdict")}),
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


@admin.register(Provider)
class ProviderAdmin(CatalogAdmin):
    list_display = ("slug", "name", "website")
    search_fields = ("slug", "name")


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
