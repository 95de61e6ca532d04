"""One serializer per operation and direction; output serializers list every field."""

from typing import Any

from django.db.models import Field
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Role, User
from accounts.selectors import Affiliation, PrivateProfile, PublicProfile
from config.api import absolute_url


def _max_length(name: str) -> int:
    field = User._meta.get_field(name)
    if not isinstance(field, Field) or field.max_length is None:
        raise TypeError(f"User.{name} has no max_length")
    return field.max_length


# A provider is named by one reference object everywhere, `ProviderSummaryOutput` `{slug, name,
# url}` (models_catalog.api.references). accounts may not import models_catalog (imports run
# reviews -> models_catalog -> accounts), so the affiliation is rendered here in that shape
# and its schema points at that component by name (tests/test_contract_shapes.py checks it).
_PROVIDER_REFERENCE = {
    "allOf": [{"$ref": "#/components/schemas/ProviderSummaryOutput"}],
    "nullable": True,
}


def affiliation_reference(context: Any, affiliation: Affiliation | None) -> dict[str, Any] | None:
    """The affiliation as a provider reference object, or None."""
    if affiliation is None:
        return None
    url = absolute_url(context, "catalog:provider-detail", slug=affiliation.slug)
    return {"slug": affiliation.slug, "name": affiliation.name, "url": url}


class MeOutputSerializer(serializers.Serializer):
    username = serializers.CharField(help_text="Public handle, generated at signup.")
    display_name = serializers.CharField(help_text="Name shown beside reviews; may be blank.")
    bio = serializers.CharField(help_text="A few words about the person; may be blank.")
    affiliation = serializers.SerializerMethodField(
        help_text="The provider the person works for (its reference object); null if none. Set it "
        "with `PATCH` and the provider's slug."
    )
    affiliation_public = serializers.BooleanField(
        help_text="Whether the public profile shows the affiliation."
    )
    email = serializers.EmailField(help_text="Primary email address (the login).")
    email_verified = serializers.BooleanField(
        help_text="Whether the primary email address is verified; writes need it."
    )
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices),
        help_text="Roles held: `moderator`, `admin`; empty for everyone else.",
    )
    date_joined = serializers.DateTimeField(help_text="When the account was created.")

    @extend_schema_field(_PROVIDER_REFERENCE)
    def get_affiliation(self, profile: PrivateProfile) -> dict[str, Any] | None:
        return affiliation_reference(self.context, profile.affiliation)


class MeUpdateInputSerializer(serializers.Serializer):
    display_name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=_max_length("display_name"),
        help_text="Name shown beside reviews.",
    )
    bio = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=_max_length("bio"),
        help_text="A few words about the person.",
    )
    affiliation = serializers.SlugField(
        required=False,
        allow_blank=True,
        max_length=_max_length("affiliation"),
        help_text="Slug of an existing provider the person works for, or blank for none.",
    )
    affiliation_public = serializers.BooleanField(
        required=False, help_text="Show the affiliation on the public profile."
    )


class MeDeleteInputSerializer(serializers.Serializer):
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Current password. May be left out after re-authenticating through "
        "`/_allauth/{client}/v1/auth/reauthenticate` within the last 5 minutes.",
    )


class PublicProfileOutputSerializer(serializers.Serializer):
    username = serializers.CharField(help_text="Public handle.")
    url = serializers.SerializerMethodField(
        help_text="This profile, `…/api/v1/users/{username}/` (absolute)."
    )
    display_name = serializers.CharField(help_text="Name shown beside reviews; may be blank.")
    bio = serializers.CharField(help_text="A few words about the person; may be blank.")
    date_joined = serializers.DateTimeField(help_text="When the account was created.")
    published_review_count = serializers.IntegerField(
        help_text="Number of the person's published reviews."
    )
    affiliation = serializers.SerializerMethodField(
        help_text="The provider the person works for (its reference object), only if they chose to "
        "show it; otherwise null."
    )

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, profile: Any) -> str:
        return absolute_url(self.context, "accounts:user-detail", username=profile.username)

    @extend_schema_field(_PROVIDER_REFERENCE)
    def get_affiliation(self, profile: PublicProfile) -> dict[str, Any] | None:
        return affiliation_reference(self.context, profile.affiliation)


class ModerationAccessOutputSerializer(serializers.Serializer):
    allowed = serializers.BooleanField(help_text="Whether the moderation API serves this person.")
    has_permission = serializers.BooleanField(
        help_text="Whether the person holds the moderation permission (moderator role)."
    )
    mfa_enabled = serializers.BooleanField(help_text="Whether a second factor (TOTP) is enabled.")
    mfa_required = serializers.BooleanField(
        help_text="Whether moderators must enable a second factor first (MODERATION_REQUIRE_MFA)."
    )
    mfa_authenticated = serializers.BooleanField(
        help_text="Whether this session passed the second factor (the code at sign-in, or a "
        "re-authentication with it); required with `mfa_required`."
    )


# --- Export -------------------------------------------------------------------------------


class ExportProfileOutputSerializer(serializers.Serializer):
    username = serializers.CharField(help_text="Public handle.")
    email = serializers.EmailField(help_text="Primary email address.")
    display_name = serializers.CharField(help_text="Display name.")
    first_name = serializers.CharField(help_text="First name (unused by the product).")
    last_name = serializers.CharField(help_text="Last name (unused by the product).")
    bio = serializers.CharField(help_text="Bio.")
    affiliation = serializers.CharField(help_text="Provider slug the person works for.")
    affiliation_public = serializers.BooleanField(help_text="Whether the affiliation is public.")
    date_joined = serializers.DateTimeField(help_text="When the account was created.")
    last_login = serializers.DateTimeField(allow_null=True, help_text="Last login, if any.")
    is_active = serializers.BooleanField(help_text="Whether the account can log in.")
    is_staff = serializers.BooleanField(help_text="Whether the person is an admin.")


class ExportEmailOutputSerializer(serializers.Serializer):
    email = serializers.EmailField(help_text="An email address of the account.")
    verified = serializers.BooleanField(help_text="Whether it is verified.")
    primary = serializers.BooleanField(help_text="Whether it is the primary (login) address.")


class ExportMfaOutputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["totp", "recovery_codes"],
        help_text="`totp` or `recovery_codes`; secrets are not exported.",
    )
    created_at = serializers.DateTimeField(help_text="When it was set up.")
    last_used_at = serializers.DateTimeField(allow_null=True, help_text="When it was last used.")


class ExportSessionOutputSerializer(serializers.Serializer):
    created_at = serializers.DateTimeField(help_text="When the session began.")
    last_seen_at = serializers.DateTimeField(help_text="When it was last seen.")
    ip = serializers.IPAddressField(help_text="Client IP address recorded for the session.")
    user_agent = serializers.CharField(help_text="Client software recorded for the session.")


class ExportSessionsOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Number of open sessions.")
    sessions = ExportSessionOutputSerializer(many=True, help_text="The open sessions.")


class MeExportOutputSerializer(serializers.Serializer):
    exported_at = serializers.DateTimeField(help_text="When this export was made.")
    profile = ExportProfileOutputSerializer(help_text="The account's own fields.")
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices),
        help_text="Roles held: `moderator`, `admin`.",
    )
    emails = ExportEmailOutputSerializer(many=True, help_text="Email addresses and their state.")
    mfa = ExportMfaOutputSerializer(many=True, help_text="Second factors enabled (types only).")
    sessions = ExportSessionsOutputSerializer(help_text="Open sessions.")
    apps = serializers.DictField(
        help_text="What other parts of the product store about the person, by app (e.g. `reviews`)."
    )
