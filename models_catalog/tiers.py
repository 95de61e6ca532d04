"""Price tiers within a category: "budget", "mid-priced" or "premium".

A model's tier in a category comes from the percentile of its blended price (3:1
input:output, the `blended_price` rank measure) among the category's models that have a
price: the share of them that are strictly cheaper. Below BUDGET_BELOW it is budget, from
PREMIUM_FROM on premium, mid-priced between. A category with fewer than MIN_MODELS priced
models gives no tier (a percentile of three prices says little). The free category gives
none either (every price in it is 0). The methodology endpoint publishes these values.

The model's *class* is its most specific category, in CLASS_ORDER: o4-mini, a multimodal
reasoning model, is tiered among reasoning models.
"""

from dataclasses import dataclass
from decimal import Decimal

BUDGET = "budget"
MID_PRICED = "mid-priced"
PREMIUM = "premium"
TIERS = (BUDGET, MID_PRICED, PREMIUM)
BUDGET_BELOW = Decimal("33.3")  # percentile (share of the category strictly cheaper, in %)
PREMIUM_FROM = Decimal("66.7")
MIN_MODELS = 10
MEASURE = "blended_price"
CLASS_ORDER = ("reasoning", "multimodal", "open_weights", "all")


@dataclass(frozen=True)
class PriceTier:
    category: str
    tier: str
    percentile: Decimal  # 0-100, one decimal
    rank: int  # the blended_price rank it comes from: 1 is cheapest
    total: int


def percentile_of(rank: int, total: int) -> Decimal:
    """Share of the category strictly cheaper, in percent: (rank - 1) / total x 100."""
    return (Decimal(100) * (rank - 1) / total).quantize(Decimal("0.1"))


def tier_of(rank: int, total: int, category: str) -> PriceTier | None:
    """The tier of a model at `rank` of `total` (competition ranking of the blended price,
    cheapest first) in `category`; None for a small category or the free one."""
    if total < MIN_MODELS or category not in CLASS_ORDER:
        return None
    percentile = percentile_of(rank, total)
    if percentile < BUDGET_BELOW:
        tier = BUDGET
    elif percentile >= PREMIUM_FROM:
        tier = PREMIUM
    else:
        tier = MID_PRICED
    return PriceTier(category, tier, percentile, rank, total)


def thresholds() -> dict[str, object]:
    """What the methodology endpoint shows."""
    return {
        "measure": MEASURE,
        "budget_below_percentile": BUDGET_BELOW,
        "premium_from_percentile": PREMIUM_FROM,
        "min_models": MIN_MODELS,
        "class_order": list(CLASS_ORDER),
        "percentile": "share of the category's priced models strictly cheaper, in percent: "
        "(rank - 1) / total x 100, rank 1 the cheapest (ties share a rank)",
    }
