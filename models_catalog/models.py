"""The AI-model catalog: providers, families, models, their prices and metrics.

Values that come from outside carry their source and as-of date: prices and metrics in
their own columns, model attributes in `AIModel.provenance`. Prices and metrics are
history tables: a change is a new row, never an overwrite.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class Source(models.TextChoices):
    """Where a value came from. `EDITOR` is a person using the admin."""

    OPENROUTER = "openrouter", "OpenRouter"
    LITELLM = "litellm", "LiteLLM"
    MODELS_DEV = "models_dev", "models.dev"
    LMARENA = "lmarena", "LMArena"
    ARTIFICIAL_ANALYSIS = "artificial_analysis", "Artificial Analysis"
    EDITOR = "editor", "Editor"


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Provider(TimestampedModel):
    """An organisation that publishes models (`openai`, `anthropic`)."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    # The claimed profile (models_catalog.profiles): set by editors, or by the provider's
    # managers once a moderator accepts their edit. Importers never write these.
    support_url = models.URLField(blank=True)
    support_email = models.EmailField(blank=True)
    # [{"label": "Docs", "url": "https://..."}, ...]
    links = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProviderDomain(models.Model):
    """An email domain registered for a provider (`openai.com` for OpenAI): an account that
    verifies an address at it becomes a member of the provider (`memberships`)."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True, help_text="Lowercase, e.g. openai.com.")

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.CheckConstraint(
                condition=Q(domain=Lower("domain")), name="provider_domain_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return self.domain


class MembershipRole(models.TextChoices):
    MEMBER = "member", "Member"
    MANAGER = "manager", "Manager"


class MembershipBasis(models.TextChoices):
    STAFF = "staff", "Granted by staff"
    DOMAIN = "domain", "Verified email at a registered domain"


class ProviderMembership(models.Model):
    """A verified tie between an account and a provider (never self-declared): staff grant it
    or a domain rule does. Members reply to reviews of the provider's models, and their own
    reviews of those models are conflicted; managers also edit the provider's profile.

    Here, not in accounts: the catalog may depend on accounts, never the other way."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_memberships"
    )
    role = models.CharField(
        max_length=16, choices=MembershipRole.choices, default=MembershipRole.MEMBER
    )
    basis = models.CharField(max_length=16, choices=MembershipBasis.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "provider"], name="membership_unique_per_user_and_provider"
            ),
            models.CheckConstraint(
                condition=Q(role__in=MembershipRole.values), name="membership_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(basis__in=MembershipBasis.values), name="membership_basis_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.provider_id}"


class ProviderProfileEdit(models.Model):
    """A change to a provider's public profile proposed by one of its managers: it applies
    only once a moderator accepts it (like editorial content). At most one waits per
    provider; a newer proposal supersedes it. Empty `changes` keys are left as they are."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for moderation"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        SUPERSEDED = "superseded", "Replaced by a later proposal"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="profile_edits")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="provider_profile_edits"
    )
    # {"description": ..., "website": ..., "support_url": ..., "support_email": ..., "links": [...]}
    changes = models.JSONField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider"], condition=Q(state="pending"), name="profile_edit_one_pending"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "accepted", "rejected", "superseded"]),
                name="profile_edit_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"profile edit of {self.provider_id} ({self.state})"


class ModelFamily(TimestampedModel):
    """A line of models of one provider (OpenAI's `o` family, Anthropic's `claude`)."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="families")
    slug = models.SlugField(max_length=64)
    name = models.CharField(max_length=120)

    # Not a column: the family's models, set only by the selectors that prefetch them
    # (`Prefetch("family__models", ..., to_attr="members")`).
    members: list["AIModel"]

    class Meta:
        ordering = ["provider__name", "name"]
        verbose_name_plural = "model families"
        constraints = [
            models.UniqueConstraint(fields=["provider", "slug"], name="family_unique_per_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.provider.name} {self.name}"


class Modality(models.Model):
    """A kind of input or output: text, image, file, audio, video, embeddings, ..."""

    slug = models.SlugField(max_length=32, unique=True)

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "modalities"

    def __str__(self) -> str:
        return self.slug


class Lifecycle(models.TextChoices):
    ACTIVE = "active", "Active"
    DEPRECATED = "deprecated", "Deprecated"


class AIModel(TimestampedModel):
    """One model as frontends show it, addressed by its stable slug `provider/model`."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="models")
    family = models.ForeignKey(
        ModelFamily, on_delete=models.SET_NULL, null=True, blank=True, related_name="models"
    )
    slug = models.CharField(
        max_length=160, unique=True, help_text="Stable slug, e.g. openai/o4-mini."
    )
    version_slug = models.CharField(
        max_length=160,
        blank=True,
        help_text="Canonical dated version slug, e.g. openai/o4-mini-2025-04-16.",
    )
    name = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    input_modalities = models.ManyToManyField(Modality, related_name="input_of", blank=True)
    output_modalities = models.ManyToManyField(Modality, related_name="output_of", blank=True)
    context_window = models.PositiveIntegerField(null=True, blank=True, help_text="Tokens.")
    max_output_tokens = models.PositiveIntegerField(null=True, blank=True, help_text="Tokens.")
    open_weights = models.BooleanField(null=True, blank=True, help_text="Unknown when empty.")
    parameter_count = models.BigIntegerField(
        null=True, blank=True, help_text="Total parameters; empty when not public."
    )
    knowledge_cutoff = models.DateField(null=True, blank=True)
    release_date = models.DateField(null=True, blank=True)
    tokenizer = models.CharField(max_length=64, blank=True)
    supported_parameters = models.JSONField(default=list, blank=True)
    lifecycle = models.CharField(max_length=16, choices=Lifecycle.choices, default=Lifecycle.ACTIVE)
    deprecation_date = models.DateField(null=True, blank=True)
    successor = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="predecessors"
    )
    listing_verified = models.BooleanField(
        default=False, help_text="Set by editors once the listing has been checked by a person."
    )
    editor_verdict = models.TextField(blank=True)
    # Editorial, like the verdict: when empty the page shows a tagline generated from facts
    # (models_catalog.facts). Importers never write it.
    tagline = models.CharField(max_length=300, blank=True)
    # {"<field>": {"source": "<Source>", "as_of": "YYYY-MM-DD"}} for every imported attribute,
    # so each value says where it came from and which importer may overwrite it.
    provenance = models.JSONField(default=dict, blank=True, editable=False)
    current_price = models.ForeignKey(
        "Price",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text="Denormalised pointer to the price shown by default; kept by the price service.",
    )

    # Not columns: set only by `selectors.model_detail_get` for the model page (a
    # `tiers.PriceTier` list and a `facts.Overview`: typed loosely, as those modules import
    # this one).
    route_list: list["Route"]
    price_tiers: list[Any]
    overview: Any

    class Meta:
        ordering = ["slug"]
        verbose_name = "AI model"
        constraints = [
            models.CheckConstraint(
                condition=Q(parameter_count__isnull=True) | Q(parameter_count__gt=0),
                name="aimodel_parameter_count_positive",
            ),
            models.CheckConstraint(
                condition=~Q(successor=models.F("id")), name="aimodel_not_own_successor"
            ),
        ]
        indexes = [models.Index(fields=["release_date"]), models.Index(fields=["context_window"])]

    def __str__(self) -> str:
        return self.slug

    @property
    def model_part(self) -> str:
        """The part of the slug after the provider: `o4-mini` in `openai/o4-mini`."""
        return self.slug.split("/", 1)[1]


class ModelAlias(models.Model):
    """Another id that names a model: a moving alias such as `~openai/gpt-latest`."""

    slug = models.CharField(max_length=160, unique=True)
    model = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="aliases")
    source = models.CharField(max_length=32, choices=Source.choices)
    as_of = models.DateField()

    class Meta:
        verbose_name_plural = "model aliases"

    def __str__(self) -> str:
        return f"{self.slug} -> {self.model.slug}"


class BestForUseCase(models.Model):
    """Editorial: a use case the model is best for."""

    model = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="best_for")
    title = models.CharField(max_length=120)
    text = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class EditorialPoint(models.Model):
    """Editorial: one strength or one limitation of a model."""

    class Kind(models.TextChoices):
        STRENGTH = "strength", "Strength"
        LIMITATION = "limitation", "Limitation"

    model = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="editorial_points")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["kind", "position", "id"]

    def __str__(self) -> str:
        return self.text


class FAQEntry(models.Model):
    model = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="faq")
    question = models.CharField(max_length=300)
    answer = models.TextField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"

    def __str__(self) -> str:
        return self.question


class Price(models.Model):
    """USD per 1M tokens for one offering of a model, as one source stated it on one date.

    History, not state: a changed price is a new row; the newest `as_of` is current.
    `offering` is `standard` or a variant such as `free` or `batch`.
    """

    STANDARD = "standard"

    model = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="prices")
    offering = models.CharField(max_length=32, default=STANDARD)
    input_per_mtok = models.DecimalField(max_digits=14, decimal_places=6)
    output_per_mtok = models.DecimalField(max_digits=14, decimal_places=6)
    cached_input_per_mtok = models.DecimalField(
        max_digits=14, decimal_places=6, null=True, blank=True
    )
    currency = models.CharField(max_length=3, default="USD", editable=False)
    source = models.CharField(max_length=32, choices=Source.choices)
    as_of = models.DateField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["model", "offering", "-as_of"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "offering", "source", "as_of"], name="price_unique_per_snapshot"
            ),
            models.CheckConstraint(
                condition=Q(input_per_mtok__gte=0)
                & Q(output_per_mtok__gte=0)
                & (Q(cached_input_per_mtok__isnull=True) | Q(cached_input_per_mtok__gte=0)),
                name="price_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["model", "offering", "-as_of"])]

    def __str__(self) -> str:
        prices = f"{self.input_per_mtok}/{self.output_per_mtok}"
        return f"{self.model.slug} [{self.offering}] {prices} ({self.as_of})"


class Direction(models.TextChoices):
    HIGHER_IS_BETTER = "higher", "Higher is better"
    LOWER_IS_BETTER = "lower", "Lower is better"


class Metric(models.Model):
    """A named measure such as `intelligence_index` or `arena_text`, with unit and direction."""

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    unit = models.CharField(max_length=32, blank=True)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class MetricValue(models.Model):
    """One value of a metric for a model, from one source on one date (history)."""

    model = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="metric_values")
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="values")
    value = models.DecimalField(max_digits=12, decimal_places=4)
    ci_low = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    ci_high = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    source = models.CharField(max_length=32, choices=Source.choices, help_text="Who measured it.")
    via = models.CharField(
        max_length=32,
        choices=Source.choices,
        blank=True,
        help_text="Who republished it, if not the source.",
    )
    as_of = models.DateField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["metric__key", "-as_of"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "metric", "source", "as_of"],
                name="metric_value_unique_per_snapshot",
            ),
        ]
        indexes = [models.Index(fields=["metric", "-as_of"])]

    def __str__(self) -> str:
        return f"{self.model.slug} {self.metric.key}={self.value} ({self.as_of})"


class RouteKind(models.TextChoices):
    FIRST_PARTY = "first_party", "The model maker's own API"
    CLOUD = "cloud", "A cloud platform"
    AGGREGATOR = "aggregator", "An aggregator or gateway"


class Route(models.Model):
    """Where a model is served (the maker's API, a cloud, an aggregator), with that route's
    own price per 1M tokens, as one source stated it on one date. State, not history: the
    newest snapshot of the source replaces the row (prices' history lives in `Price`).

    `key` names the route as the source does (`openai`, `azure/eu`, `openrouter`); `region`
    is set only where the source says it (LiteLLM's `azure/us`, `azure/eu`)."""

    model = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="routes")
    key = models.CharField(max_length=64, help_text="Route key, e.g. `azure/eu`.")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=RouteKind.choices)
    region = models.CharField(max_length=32, blank=True)
    route_model_id = models.CharField(max_length=200, help_text="The model's id on the route.")
    # May hold a `{resource}` placeholder (Azure: one endpoint per customer resource).
    base_url = models.CharField(
        max_length=200,
        blank=True,
        help_text="OpenAI-compatible base URL; empty when the route is not (or not known).",
    )
    input_per_mtok = models.DecimalField(max_digits=14, decimal_places=6)
    output_per_mtok = models.DecimalField(max_digits=14, decimal_places=6)
    cached_input_per_mtok = models.DecimalField(
        max_digits=14, decimal_places=6, null=True, blank=True
    )
    currency = models.CharField(max_length=3, default="USD", editable=False)
    source = models.CharField(max_length=32, choices=Source.choices)
    as_of = models.DateField()

    class Meta:
        ordering = ["model", "kind", "key"]
        constraints = [
            models.UniqueConstraint(fields=["model", "key"], name="route_unique_per_model"),
            models.CheckConstraint(
                condition=Q(kind__in=["first_party", "cloud", "aggregator"]),
                name="route_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(input_per_mtok__gte=0)
                & Q(output_per_mtok__gte=0)
                & (Q(cached_input_per_mtok__isnull=True) | Q(cached_input_per_mtok__gte=0)),
                name="route_price_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model.slug} via {self.key}"
