"""The rating formulas, as pure functions of aggregate sums (no database, no Django).

The recompute reads a handful of SUMs and COUNTs per model in one grouped query and hands
them here; keeping the maths apart makes it testable against hand-worked numbers and lets
`recompute_ratings --check` reproduce a stored summary exactly.

Recency as plain SUMs: a review published at time t weighs
    w = 0.5 ** ((now - t) / h) = 2 ** ((t - T0) / h) * 2 ** ((T0 - now) / h)
for any fixed epoch T0. The first factor depends only on the review (`recency_weight`; the
grouped query computes it per row from `published_at`, see reviews.ratings.summary); the
second is one number per recompute (`recency_scale`). The SUMs of the first factor do not
depend on `now`, so a summary can be reproduced for the time it was computed.
"""

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

STARS = (1, 2, 3, 4, 5)
# Fixed reference point for recency weights. Weights grow by a factor of 2 per
# half-life after it, so with half-lives of 30 days or more a double stays finite for
# centuries (2 ** (80 years * 12) < 1.8e308).
RECENCY_EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
MIN_HALF_LIFE_DAYS = 30


def recency_weight(published_at: dt.datetime, half_life_days: float) -> float:
    """The time-independent part of a review's recency weight (the SQL of
    reviews.ratings.summary computes the same per row)."""
    age_from_epoch = (published_at - RECENCY_EPOCH).total_seconds() / 86400
    return 2.0 ** (age_from_epoch / half_life_days)


def recency_scale(now: dt.datetime, half_life_days: float) -> float:
    """Multiply a sum of `recency_weight`s by this to get the sum of `0.5 ** (age / h)`."""
    days_since_epoch = (now - RECENCY_EPOCH).total_seconds() / 86400
    return 2.0 ** (-days_since_epoch / half_life_days)


def bayesian_average(
    *, total: float, count: float, prior_mean: float, prior_weight: float
) -> float:
    """`(C·m + Σr) / (C + n)`: few reviews pull toward the site-wide mean `m`."""
    return (prior_weight * prior_mean + total) / (prior_weight + count)


def dirichlet_lower_bound(distribution: Mapping[int, int], z: float) -> float:
    """Evan Miller, "Ranking items with star ratings": a Dirichlet(1, …, 1) prior over the
    five stars, and the lower bound of the posterior mean's normal approximation.

        N  = n + K,  p_k = (n_k + 1) / N
        S  = Σ s_k p_k
        LB = S - z · sqrt((Σ s_k² p_k - S²) / (N + 1))
    """
    n = sum(distribution.get(star, 0) for star in STARS)
    big_n = n + len(STARS)
    p = {star: (distribution.get(star, 0) + 1) / big_n for star in STARS}
    mean = sum(star * p[star] for star in STARS)
    second_moment = sum(star * star * p[star] for star in STARS)
    variance = max(second_moment - mean * mean, 0.0)
    return mean - z * math.sqrt(variance / (big_n + 1))


@dataclass(frozen=True)
class RatingInputs:
    """Aggregates of one group of published, counted reviews (one model or one version)."""

    count: int
    total: int
    distribution: dict[int, int]
    weight_sum: float  # Σ recency_weight (computed per row by the grouped query, not stored)
    weighted_total: float  # Σ recency_weight · rating


def summarise(
    inputs: RatingInputs,
    *,
    prior_mean: float,
    prior_weight: float,
    z: float,
    scale: float,
) -> dict[str, float | None]:
    """The scores of one group of counted reviews. The rating pipeline calls it only for a
    group with at least one review: an unreviewed model or version gets null scores
    (reviews.ratings.summary), so it is shown as unrated, never ranked as "average"."""
    average = inputs.total / inputs.count if inputs.count else None
    decayed_weight = inputs.weight_sum * scale
    decayed_total = inputs.weighted_total * scale
    return {
        "average": average,
        "bayesian_average": bayesian_average(
            total=inputs.total,
            count=inputs.count,
            prior_mean=prior_mean,
            prior_weight=prior_weight,
        ),
        "lower_bound": dirichlet_lower_bound(inputs.distribution, z),
        "recent_score": bayesian_average(
            total=decayed_total,
            count=decayed_weight,
            prior_mean=prior_mean,
            prior_weight=prior_weight,
        ),
    }
