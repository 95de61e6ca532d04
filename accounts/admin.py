from typing import TYPE_CHECKING, Any, TypedDict

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest

from accounts import services
from accounts.models import ApiKey, User
from accounts.selectors import SECOND_FACTOR_TYPES
from config.throttles import api_keys_forget

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _UserFlags(TypedDict):
    """What `UserAdmin.get_queryset` annotates each user with."""

    email_verified: bool
    mfa_enabled: bool


class EmailAddressInline(admin.TabularInline):
    model = EmailAddress
    extra = 0
    fields = ("email", "verified", "primary")


class _BooleanAnnotationFilter(admin.SimpleListFilter):
    parameter_name: str  # the annotation, named by each subclass

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(**{self.parameter_name: self.value() == "yes"})
        return queryset


class EmailVerifiedFilter(_BooleanAnnotationFilter):
    title = "email verified"
    parameter_name = "email_verified"


class MfaEnabledFilter(_BooleanAnnotationFilter):
    title = "MFA enabled"
    parameter_name = "mfa_enabled"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (
            "Profile",
            {"fields": ("display_name", "bio", "affiliation", "affiliation_public", "erased_at")},
        ),
    )
    readonly_fields = ("erased_at",)
    inlines = [EmailAddressInline]
    list_display = (
        "username",
        "email",
        "display_name",
        "email_verified",
        "roles",
        "mfa_enabled",
        "is_staff",
        "is_active",
        "date_joined",
    )
    list_filter = (
        EmailVerifiedFilter,
        MfaEnabledFilter,
        "groups",
        "is_staff",
        "is_superuser",
        "is_active",
    )
    search_fields = ("username", "email", "display_name")
    actions = ["erase_personal_data"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        verified = EmailAddress.objects.filter(user=OuterRef("pk"), primary=True, verified=True)
        mfa = Authenticator.objects.filter(user=OuterRef("pk"), type__in=SECOND_FACTOR_TYPES)
        return (
            super()
            .get_queryset(request)
            .annotate(email_verified=Exists(verified), mfa_enabled=Exists(mfa))
            .prefetch_related("groups")
        )

    @admin.display(boolean=True, ordering="email_verified", description="email verified")
    def email_verified(self, user: "WithAnnotations[User, _UserFlags]") -> bool:
        return user.email_verified

    @admin.display(boolean=True, ordering="mfa_enabled", description="MFA")
    def mfa_enabled(self, user: "WithAnnotations[User, _UserFlags]") -> bool:
        return user.mfa_enabled

    @admin.display(description="roles")
    def roles(self, user: User) -> str:
        names = [group.name for group in user.groups.all()]
        if user.is_superuser:
            names.append("admin")
        return ", ".join(names)

    @admin.action(description="Erase personal data (keeps an anonymous row)")
    def erase_personal_data(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.user_erase(user=user)
        self.message_user(request, f"Erased {len(queryset)} account(s).", messages.SUCCESS)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Staff create keys for server-side frontends and partners; the key is shown once, in
    the confirmation message. A key is revoked, never deleted (its name stays in the logs)."""

    list_display = ("name", "prefix", "rate", "created_at", "created_by", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    fields = ("name", "rate", "prefix", "created_at", "created_by", "revoked_at")
    readonly_fields = ("prefix", "created_at", "created_by", "revoked_at")
    actions = ("revoke",)

    def has_delete_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            api_keys_forget()  # a changed rate applies at once in this process
            return
        raw = services.api_key_issue(key=obj, created_by=request.user)  # type: ignore[arg-type]
        self.message_user(
            request,
            f"API key for {obj.name}: {raw} — copy it now, it is not stored and will not be "
            "shown again. Clients send it as the X-Api-Key header.",
            messages.WARNING,
        )

    @admin.action(description="Revoke selected API keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        revoked = sum(services.api_key_revoke(key=key) for key in queryset)
        self.message_user(request, f"{revoked} key(s) revoked.", messages.SUCCESS)
