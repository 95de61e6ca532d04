"""The rating formulas against hand-worked numbers."""

import datetime as dt

import pytest

from reviews.scoring import (
    RatingInputs,
    bayesian_average,
    dirichlet_lower_bound,
    recency_scale,
    recency_weight,
    summarise,
)

NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)


def test_bayesian_average_pulls_few_reviews_toward_prior():
    # 3 reviews totalling 15 (mean 5) with C = 7 and m = 3.5: (7·3.5 + 15) / 10
    assert bayesian_average(total=15, count=3, prior_mean=3.5, prior_weight=7) == pytest.approx(
        3.95
    )


def test_bayesian_average_without_reviews_is_prior():
    assert bayesian_average(total=0, count=0, prior_mean=3.8, prior_weight=7) == 3.8


def test_dirichlet_lower_bound_without_reviews():
    # p_k = 1/5: mean 3, E[s²] = 11, var 2, N = 5: 3 - 1.65·sqrt(2/6)
    assert dirichlet_lower_bound({}, 1.65) == pytest.approx(2.047372, abs=1e-6)


def test_dirichlet_lower_bound_ten_five_star_reviews():
    # N = 15, p5 = 11/15: mean 65/15, E[s²] = 305/15, var = 1.555…, / 16
    expected = 65 / 15 - 1.65 * ((305 / 15 - (65 / 15) ** 2) / 16) ** 0.5
    assert dirichlet_lower_bound({5: 10}, 1.65) == pytest.approx(expected)
    assert expected == pytest.approx(3.8188, abs=1e-4)


def test_dirichlet_lower_bound_ranks_more_evidence_higher():
    # the same all-five-star record ranks higher with more reviews behind it
    assert dirichlet_lower_bound({5: 100}, 1.65) > dirichlet_lower_bound({5: 3}, 1.65)


def test_recency_weight_halves_after_one_half_life():
    published = NOW - dt.timedelta(days=365)
    weight = recency_weight(published, 365) * recency_scale(NOW, 365)
    assert weight == pytest.approx(0.5)
    assert recency_weight(NOW, 365) * recency_scale(NOW, 365) == pytest.approx(1.0)


def test_summarise_recent_score_discounts_old_reviews():
    # one fresh 5-star review and one 1-star review two half-lives old
    fresh, old = NOW, NOW - dt.timedelta(days=730)
    w_fresh, w_old = recency_weight(fresh, 365), recency_weight(old, 365)
    inputs = RatingInputs(
        count=2, total=6, distribution={5: 1, 1: 1},
        weight_sum=w_fresh + w_old, weighted_total=5 * w_fresh + 1 * w_old,
    )  # fmt: skip
    scores = summarise(
        inputs, prior_mean=3.0, prior_weight=7, z=1.65, scale=recency_scale(NOW, 365)
    )
    # decayed weights 1 and 0.25: (7·3 + 5 + 0.25) / (7 + 1.25)
    assert scores["recent_score"] == pytest.approx((21 + 5.25) / 8.25)
    assert scores["average"] == 3.0
    assert scores["bayesian_average"] == pytest.approx((21 + 6) / 9)


def test_summarise_without_reviews_has_no_average():
    empty = RatingInputs(count=0, total=0, distribution={}, weight_sum=0.0, weighted_total=0.0)
    scores = summarise(empty, prior_mean=3.6, prior_weight=7, z=1.65, scale=1.0)
    assert scores["average"] is None
    assert scores["bayesian_average"] == pytest.approx(3.6)
    assert scores["recent_score"] == pytest.approx(3.6)
