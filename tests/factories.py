"""factory_boy factories for every model the tests build."""

import datetime as dt
from decimal import Decimal

import factory

from accounts.models import User
from models_catalog.models import (
    AIModel,
    Direction,
    Metric,
    MetricValue,
    ModelFamily,
    Price,
    Provider,
    Source,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    display_name = factory.LazyAttribute(lambda u: u.username.title())
    password = factory.django.Password("correct-horse-battery-staple")


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"provider-{n}")
    name = factory.LazyAttribute(lambda p: p.slug.replace("-", " ").title())


class ModelFamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelFamily

    provider = factory.SubFactory(ProviderFactory)
    slug = factory.Sequence(lambda n: f"family-{n}")
    name = factory.LazyAttribute(lambda f: f.slug)


def _modalities_set(
    model: AIModel, create: bool, extracted: list[str] | None, **kwargs: object
) -> None:
    """`AIModelFactory(inputs=[...])`: the input modalities (text unless told); text output."""
    from models_catalog.services import modalities_get

    if create:
        model.input_modalities.set(modalities_get(extracted or ["text"]))
        model.output_modalities.set(modalities_get(["text"]))


class AIModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AIModel
        skip_postgeneration_save = True

    provider = factory.SubFactory(ProviderFactory)
    slug = factory.LazyAttributeSequence(lambda m, n: f"{m.provider.slug}/model-{n}")
    name = factory.LazyAttribute(lambda m: m.slug.split("/", 1)[1].replace("-", " ").title())
    description = "A test model."
    context_window = 128_000
    max_output_tokens = 16_000
    release_date = dt.date(2025, 1, 1)

    inputs = factory.PostGeneration(_modalities_set)


def _price_make_current(
    price: Price, create: bool, extracted: bool | None, **kwargs: object
) -> None:
    """The price becomes its model's current one unless `PriceFactory(make_current=False)`."""
    if create and extracted is not False:
        from models_catalog.services import price_refresh_current

        price_refresh_current(price.model)


class PriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Price
        skip_postgeneration_save = True

    model = factory.SubFactory(AIModelFactory)
    input_per_mtok = Decimal("1.10")
    output_per_mtok = Decimal("4.40")
    cached_input_per_mtok = Decimal("0.275")
    source = Source.OPENROUTER
    as_of = dt.date(2026, 8, 18)

    make_current = factory.PostGeneration(_price_make_current)


class MetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Metric
        django_get_or_create = ("key",)

    key = "intelligence_index"
    name = "Intelligence index"
    unit = "points"
    direction = Direction.HIGHER_IS_BETTER


class MetricValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MetricValue

    model = factory.SubFactory(AIModelFactory)
    metric = factory.SubFactory(MetricFactory)
    value = Decimal("50")
    source = Source.ARTIFICIAL_ANALYSIS
    via = Source.OPENROUTER
    as_of = dt.date(2026, 8, 18)


# --- Read API (editorial content and aliases); models named by label to keep imports on top.


class ModelAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "models_catalog.ModelAlias"

    model = factory.SubFactory(AIModelFactory)
    slug = factory.LazyAttributeSequence(lambda a, n: f"~{a.model.slug}-latest-{n}")
    source = Source.OPENROUTER
    as_of = dt.date(2026, 8, 18)


class BestForUseCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "models_catalog.BestForUseCase"

    model = factory.SubFactory(AIModelFactory)
    title = factory.Sequence(lambda n: f"Use case {n}")
    text = "Because it is fast."


class EditorialPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "models_catalog.EditorialPoint"

    model = factory.SubFactory(AIModelFactory)
    kind = "strength"
    text = factory.Sequence(lambda n: f"Point {n}")


class FAQEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "models_catalog.FAQEntry"

    model = factory.SubFactory(AIModelFactory)
    question = factory.Sequence(lambda n: f"Question {n}?")
    answer = "An answer."


# --- Reviews (issue 4). Factories write rows directly; tests of rules go through services.


class ReviewFactory(factory.django.DjangoModelFactory):
    """A review row (pending unless `status` says otherwise). `published=True` also sets
    `published_at`, as verifying does."""

    class Meta:
        model = "reviews.Review"

    class Params:
        published = factory.Trait(
            status="published",
            published_at=factory.LazyFunction(lambda: dt.datetime.now(dt.UTC)),
            queued_at=None,
        )

    author = factory.SubFactory(UserFactory)
    model = factory.SubFactory(AIModelFactory)
    rating = 4
    title = factory.Sequence(lambda n: f"Review {n}")
    body = "Solid model for everyday coding work; fast, cheap and mostly right the first time."
    use_cases = factory.LazyFunction(lambda: ["coding"])
    model_version = factory.LazyAttribute(lambda r: r.model.version_slug or r.model.slug)
    queued_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))


class HelpfulVoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reviews.HelpfulVote"

    review = factory.SubFactory(ReviewFactory, published=True)
    voter = factory.SubFactory(UserFactory)
    helpful = True


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reviews.Report"

    review = factory.SubFactory(ReviewFactory, published=True)
    reporter = factory.SubFactory(UserFactory)
    reason = "spam"
