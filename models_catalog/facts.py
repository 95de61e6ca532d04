"""Sentences built from facts where no editor wrote the text: tagline, verdict and FAQ.

Plain templates, no language model. Every sentence carries the facts it states (the field,
the value as shown, the source and snapshot date that set it), so a reader can trace each
word to the data, and is marked `generated`. An editor's text replaces the generated one
field by field (the tagline, the verdict, the FAQ): importers never write those fields, so
an editor's text survives every import.

Languages: the wording lives in TEMPLATES, keyed by language code, with the few rules a
language needs beside its strings (how to join a list, how to write a number or a date) in
its `Language`. Adding a language is adding an entry; `overview_build(language=...)` picks
it. Only English exists today.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from models_catalog.models import AIModel, Lifecycle, Route, RouteKind
from models_catalog.routes import kind_order
from models_catalog.tiers import PriceTier

COMPUTED = "computed"  # the source of a value this site computes (a tier, from prices)
EDITOR = "editor"


@dataclass(frozen=True)
class Fact:
    field: str  # e.g. `context_window`, `price.output_per_mtok`, `route:azure/eu`
    value: str  # as the sentence shows it
    source: str  # a `Source` key, `computed` or `editor`
    as_of: dt.date | None  # the snapshot date; None for computed and editor values


@dataclass(frozen=True)
class Statement:
    text: str
    generated: bool
    facts: list[Fact] = field(default_factory=list)


@dataclass(frozen=True)
class FAQItem:
    question: str
    answer: str
    generated: bool
    facts: list[Fact] = field(default_factory=list)


@dataclass(frozen=True)
class Overview:
    language: str
    tagline: Statement | None
    verdict: list[Statement]
    faq: list[FAQItem]


def _join_en(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _money(value: Decimal) -> str:
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    if not isinstance(exponent, int) or exponent > -2:
        normal = normal.quantize(Decimal("0.01"))
    return format(normal, "f")


@dataclass(frozen=True)
class Language:
    strings: dict[str, str]
    join: Callable[[list[str]], str]
    number: Callable[[int], str]
    date: Callable[[dt.date], str]
    month: Callable[[dt.date], str]


TEMPLATES: dict[str, Language] = {
    "en": Language(
        strings={
            "tagline": "{provider}'s {kind} model for {inputs} tasks",
            "kind.multimodal_reasoning": "multimodal reasoning",
            "kind.reasoning": "reasoning",
            "kind.multimodal": "multimodal",
            "kind.language": "language",
            "kind.open_weights": "open-weights {kind}",
            "modalities": "{name} takes {inputs} input and produces {outputs} output.",
            "context": "{name} provides a context length of {context} tokens.",
            "context_output": "{name} provides a context length of {context} tokens and "
            "writes up to {max_output} tokens per response.",
            "price": "{name} costs ${input} per 1M input tokens and ${output} per 1M output "
            "tokens.",
            "price_tier": "At ${output} per 1M output tokens (${input} input), it is {tier} "
            "among {category}: {rank} of {total} by blended price, cheapest first.",
            "tier.budget": "budget",
            "tier.mid-priced": "mid-priced",
            "tier.premium": "premium",
            "category.reasoning": "reasoning models",
            "category.multimodal": "multimodal models",
            "category.open_weights": "open-weights models",
            "category.all": "all models",
            "availability": "It is available through {routes}.",
            "routes.first_party": "{names}",
            "routes.cloud": "clouds such as {names}",
            "routes.aggregator": "aggregators like {names}",
            "open_weights.yes": "Its weights are published.",
            "open_weights.no": "Its weights are not published: it is used through an API.",
            "cutoff": "Its training data runs to {date}.",
            "deprecated": "{provider} has deprecated it.",
            "deprecated_on": "{provider} has deprecated it, with a retirement date of {date}.",
            "successor": "Its successor is {successor}.",
            "q.modalities": "What can {name} take as input?",
            "q.context": "What is the context length of {name}?",
            "q.price": "How much does {name} cost?",
            "q.availability": "Where can I use {name}?",
            "q.open_weights": "Are {name}'s weights open?",
            "q.cutoff": "What is {name}'s knowledge cutoff?",
            "q.lifecycle": "Is {name} still supported?",
        },
        join=_join_en,
        number=lambda n: f"{n:,}",
        date=lambda d: d.strftime("%B %-d, %Y"),
        month=lambda d: d.strftime("%B %Y"),
    ),
}
LANGUAGES = tuple(TEMPLATES)
MODALITY_ORDER = ("text", "image", "file", "audio", "video")


def _provenance_fact(model: AIModel, name: str, value: str) -> Fact:
    entry = model.provenance.get(name)
    if isinstance(entry, dict) and entry.get("source"):
        as_of = entry.get("as_of")
        return Fact(name, value, entry["source"], dt.date.fromisoformat(as_of) if as_of else None)
    return Fact(name, value, COMPUTED, None)


def _modalities(manager: Iterable[object]) -> list[str]:
    slugs = [str(getattr(m, "slug", m)) for m in manager]
    rank = {slug: i for i, slug in enumerate(MODALITY_ORDER)}
    return sorted(slugs, key=lambda s: (rank.get(s, len(rank)), s))


class _Builder:
    """Sentences of one model in one language; each method returns a Statement or None."""

    def __init__(self, model: AIModel, price_tiers: list[PriceTier], routes: list[Route],
                 language: Language) -> None:  # fmt: skip
        self.model, self.tiers, self.routes, self.lang = model, price_tiers, routes, language
        self.inputs = _modalities(model.input_modalities.all())
        self.outputs = _modalities(model.output_modalities.all())

    def t(self, key: str, **values: object) -> str:
        return self.lang.strings[key].format(**values)

    @property
    def reasoning(self) -> bool:
        params = self.model.supported_parameters
        return isinstance(params, list) and "reasoning" in params

    def tagline(self) -> Statement | None:
        if not self.inputs:
            return None
        multimodal = any(m != "text" for m in self.inputs)
        kind_key = {
            (True, True): "kind.multimodal_reasoning", (False, True): "kind.reasoning",
            (True, False): "kind.multimodal", (False, False): "kind.language",
        }[(multimodal, self.reasoning)]  # fmt: skip
        kind = self.t(kind_key)
        facts = [_provenance_fact(self.model, "input_modalities", ", ".join(self.inputs))]
        if self.reasoning:
            facts.append(_provenance_fact(self.model, "supported_parameters", "reasoning"))
        if self.model.open_weights:
            kind = self.t("kind.open_weights", kind=kind)
            facts.append(_provenance_fact(self.model, "open_weights", "true"))
        text = self.t(
            "tagline", provider=self.model.provider.name, kind=kind,
            inputs=self.lang.join(self.inputs),
        )  # fmt: skip
        return Statement(text, True, facts)

    def modalities(self) -> Statement | None:
        if not self.inputs or not self.outputs:
            return None
        text = self.t(
            "modalities", name=self.model.name, inputs=self.lang.join(self.inputs),
            outputs=self.lang.join(self.outputs),
        )  # fmt: skip
        return Statement(text, True, [
            _provenance_fact(self.model, "input_modalities", ", ".join(self.inputs)),
            _provenance_fact(self.model, "output_modalities", ", ".join(self.outputs)),
        ])  # fmt: skip

    def context(self) -> Statement | None:
        context, max_output = self.model.context_window, self.model.max_output_tokens
        if context is None:
            return None
        facts = [_provenance_fact(self.model, "context_window", str(context))]
        if max_output is None:
            return Statement(
                self.t("context", name=self.model.name, context=self.lang.number(context)),
                True, facts,
            )  # fmt: skip
        facts.append(_provenance_fact(self.model, "max_output_tokens", str(max_output)))
        text = self.t(
            "context_output", name=self.model.name, context=self.lang.number(context),
            max_output=self.lang.number(max_output),
        )  # fmt: skip
        return Statement(text, True, facts)

    def price(self) -> Statement | None:
        price = self.model.current_price
        if price is None:
            return None
        values = {"input": _money(price.input_per_mtok), "output": _money(price.output_per_mtok)}
        facts = [
            Fact("price.input_per_mtok", values["input"], price.source, price.as_of),
            Fact("price.output_per_mtok", values["output"], price.source, price.as_of),
        ]
        if not self.tiers:
            return Statement(self.t("price", name=self.model.name, **values), True, facts)
        tier = self.tiers[0]
        facts.append(
            Fact("price_tier", f"{tier.tier} ({tier.category}, {tier.rank} of {tier.total})",
                 COMPUTED, None)
        )  # fmt: skip
        text = self.t(
            "price_tier", tier=self.t(f"tier.{tier.tier}"),
            category=self.t(f"category.{tier.category}"), rank=self.lang.number(tier.rank),
            total=self.lang.number(tier.total), **values,
        )  # fmt: skip
        return Statement(text, True, facts)

    def availability(self) -> Statement | None:
        if not self.routes:
            return None
        groups: dict[str, list[str]] = {}
        facts = []
        for route in sorted(self.routes, key=lambda r: (kind_order(r.kind), r.key)):
            names = groups.setdefault(route.kind, [])
            if route.name not in names:
                names.append(route.name)
            price = f"{_money(route.input_per_mtok)}/{_money(route.output_per_mtok)}"
            facts.append(Fact(f"route:{route.key}", price, route.source, route.as_of))
        kinds = (RouteKind.FIRST_PARTY, RouteKind.CLOUD, RouteKind.AGGREGATOR)
        parts = [
            self.t(f"routes.{kind}", names=self.lang.join(groups[kind]))
            for kind in kinds
            if groups.get(kind)
        ]
        return Statement(self.t("availability", routes=self.lang.join(parts)), True, facts)

    def open_weights(self) -> Statement | None:
        if self.model.open_weights is None:
            return None
        key = "open_weights.yes" if self.model.open_weights else "open_weights.no"
        value = "true" if self.model.open_weights else "false"
        return Statement(self.t(key), True, [_provenance_fact(self.model, "open_weights", value)])

    def cutoff(self) -> Statement | None:
        cutoff = self.model.knowledge_cutoff
        if cutoff is None:
            return None
        fact = _provenance_fact(self.model, "knowledge_cutoff", cutoff.isoformat())
        return Statement(self.t("cutoff", date=self.lang.month(cutoff)), True, [fact])

    def lifecycle(self) -> Statement | None:
        model = self.model
        if model.lifecycle != Lifecycle.DEPRECATED:
            return None
        facts = [_provenance_fact(model, "lifecycle", model.lifecycle)]
        provider = model.provider.name
        if model.deprecation_date is not None:
            date = model.deprecation_date
            facts.append(_provenance_fact(model, "deprecation_date", date.isoformat()))
            text = self.t("deprecated_on", provider=provider, date=self.lang.date(date))
        else:
            text = self.t("deprecated", provider=provider)
        if model.successor is not None:
            facts.append(_provenance_fact(model, "successor", model.successor.slug))
            text = f"{text} {self.t('successor', successor=model.successor.name)}"
        return Statement(text, True, facts)


def _faq(builder: _Builder) -> list[FAQItem]:
    name = builder.model.name
    items = []
    for topic, statement in (
        ("modalities", builder.modalities()),
        ("context", builder.context()),
        ("price", builder.price()),
        ("availability", builder.availability()),
        ("open_weights", builder.open_weights()),
        ("cutoff", builder.cutoff()),
        ("lifecycle", builder.lifecycle()),
    ):
        if statement is not None:
            question = builder.t(f"q.{topic}", name=name)
            items.append(FAQItem(question, statement.text, True, statement.facts))
    return items


def overview_build(
    model: AIModel,
    *,
    price_tiers: list[PriceTier],
    routes: list[Route],
    language: str = "en",
) -> Overview:
    """The model's tagline, verdict and FAQ: the editors' where they wrote them, else
    generated from facts in `language` (a key of TEMPLATES). Reads only what `model`
    already holds (the page's prefetches): no query."""
    builder = _Builder(model, price_tiers, routes, TEMPLATES[language])
    if model.tagline:
        tagline: Statement | None = Statement(
            model.tagline, False, [Fact("tagline", model.tagline, EDITOR, None)]
        )
    else:
        tagline = builder.tagline()
    if model.editor_verdict:
        verdict = [Statement(model.editor_verdict, False, [Fact("verdict", "", EDITOR, None)])]
    else:
        sentences = (builder.context(), builder.price(), builder.availability(),
                     builder.open_weights(), builder.lifecycle())  # fmt: skip
        verdict = [s for s in sentences if s is not None]
    editor_faq = list(model.faq.all())
    if editor_faq:
        faq = [FAQItem(e.question, e.answer, False, [Fact("faq", "", EDITOR, None)])
               for e in editor_faq]  # fmt: skip
    else:
        faq = _faq(builder)
    return Overview(language, tagline, verdict, faq)
