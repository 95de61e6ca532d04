"""A stored rating retires exactly the documents that show it (config.documents,
reviews/ratings/ranks_moved.py): the model's own, the list pages that show the model (its
list shard), lists ordered by a rating, and the ranks of the models whose place or total it
moved. Every such document shows the change at its next read; the others stay warm (served
from the cache with no query)."""

import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from config import documents
from config.documents import _generation_key, list_shard_generation
from models_catalog.services import model_documents_invalidate
from reviews.models import ModelRating
from reviews.ratings import rating_recompute
from reviews.ratings.ranks_moved import ranks_moved
from tests.conftest import make_user
from tests.factories import AIModelFactory, PriceFactory, ProviderFactory

pytestmark = pytest.mark.django_db
SLUG_ORDER_LIST = "/api/v1/models/?page_size=50"
RATING_ORDER_LIST = "/api/v1/models/?ordering=-bayesian_average"


def detail_url(model: Any, query: str = "") -> str:
    return f"/api/v1/models/{model.slug}/{query}"


def page_url(model: Any) -> str:
    return detail_url(model, "?include=rating,ranks,reviews")


def provider_list(model: Any) -> str:
    return f"/api/v1/models/?provider={model.provider.slug}"


def rank(client: Any, model: Any, measure: str = "bayesian_average") -> tuple[int, int] | None:
    ranks = client.get(detail_url(model, "ranks/")).json()["ranks"]
    found = [
        (r["rank"], r["total"]) for r in ranks if r["category"] == "all" and r["measure"] == measure
    ]
    return found[0] if found else None


def listed_count(client: Any, url: str, model: Any) -> int | None:
    results = client.get(url).json()["results"]
    rating = next(item["rating"] for item in results if item["slug"] == model.slug)
    return rating["review_count"] if rating else None


def recompute(model: Any) -> None:
    # The store's after-commit work (rating cache refresh, then the documents' bump) runs.
    with TestCase.captureOnCommitCallbacks(execute=True):
        rating_recompute(model.pk)


def _other_shard_provider(slug: str) -> str:
    """A provider slug whose models fall in another list shard than `slug`'s."""
    mine = list_shard_generation(slug)
    return next(
        name
        for name in (f"zeta{i}" for i in range(100))
        if list_shard_generation(f"{name}/x") != mine
    )


@pytest.fixture
def catalog() -> tuple[Any, Any, Any]:
    """alpha and beta (provider acme) and gamma, of a provider in another list shard."""
    acme = ProviderFactory(slug="acme", name="Acme")
    other_slug = _other_shard_provider("acme/alpha")
    other = ProviderFactory(slug=other_slug, name="Zeta")
    alpha = AIModelFactory(provider=acme, slug="acme/alpha")
    beta = AIModelFactory(provider=acme, slug="acme/beta")
    gamma = AIModelFactory(provider=other, slug=f"{other_slug}/gamma")
    for model in (alpha, beta, gamma):
        PriceFactory(model=model, input_per_mtok=Decimal(1), output_per_mtok=Decimal(1))
    return alpha, beta, gamma


@pytest.fixture
def rate(create_review: Callable, publish: Callable) -> Callable[..., None]:
    def rate(model: Any, *stars: int) -> None:
        for value in stars:
            publish(create_review(make_user(), model=model, rating=value))
        recompute(model)

    return rate


def warm(client: Any, urls: list[str]) -> None:
    for url in urls:
        assert client.get(url).status_code == 200


def kept(client: Any, url: str) -> bool:
    """Whether `url` is served from the cache (no query)."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return not queries.captured_queries


def test_a_stored_rating_shows_in_every_document_that_shows_it(
    api_client: Any, catalog: tuple[Any, Any, Any], rate: Callable
) -> None:
    alpha, _beta, gamma = catalog
    rate(gamma, 4)
    rate(alpha, 3)
    urls = [
        SLUG_ORDER_LIST, "/api/v1/models/", provider_list(alpha), RATING_ORDER_LIST,
        detail_url(alpha), page_url(alpha), page_url(gamma),
    ]  # fmt: skip
    warm(api_client, urls)
    assert rank(api_client, gamma) == (1, 2)
    assert rank(api_client, alpha) == (2, 2)
    # when alpha's rating is stored with five more 5-star reviews (it passes gamma)
    rate(alpha, 5, 5, 5, 5, 5)
    # then every list that shows alpha, its page, its bundle and both models' ranks show it
    for url in (SLUG_ORDER_LIST, "/api/v1/models/", provider_list(alpha), RATING_ORDER_LIST):
        assert listed_count(api_client, url, alpha) == 6, url
    ordered = api_client.get(RATING_ORDER_LIST).json()["results"]
    assert [item["slug"] for item in ordered][:2] == [alpha.slug, gamma.slug]
    assert api_client.get(detail_url(alpha)).json()["rating"]["review_count"] == 6
    bundle = api_client.get(page_url(alpha)).json()
    assert bundle["rating"]["review_count"] == 6
    assert bundle["included"]["rating"]["review_count"] == 6
    assert rank(api_client, alpha) == (1, 2)
    assert rank(api_client, gamma) == (2, 2)
    gamma_ranks = api_client.get(page_url(gamma)).json()["included"]["ranks"]["ranks"]
    placed = [r["rank"] for r in gamma_ranks if r["measure"] == "bayesian_average"]
    assert placed and set(placed) == {2}


def test_a_stored_rating_leaves_other_providers_lists_and_unmoved_ranks_warm(
    api_client: Any,
    catalog: tuple[Any, Any, Any],
    rate: Callable,
) -> None:
    alpha, beta, gamma = catalog
    rate(gamma, 5, 5, 5, 5, 5)
    rate(alpha, 3)
    urls = [
        provider_list(gamma), detail_url(gamma), detail_url(gamma, "ranks/"),
        detail_url(beta, "ranks/"), page_url(gamma), provider_list(alpha),
        detail_url(alpha, "ranks/"),
    ]  # fmt: skip
    warm(api_client, urls)
    # when alpha's rating changes without passing gamma (and without becoming unranked)
    rate(alpha, 2)
    # then gamma's list, page, bundle and ranks, and beta's ranks, are still served warm
    for url in urls[:5]:
        assert kept(api_client, url), url
    # and alpha's own list and ranks were retired (they show its rating / are its own)
    assert not kept(api_client, provider_list(alpha))
    assert listed_count(api_client, provider_list(alpha), alpha) == 2
    assert not kept(api_client, detail_url(alpha, "ranks/"))


def test_a_model_becoming_ranked_retires_every_ranked_models_ranks(
    api_client: Any, catalog: tuple[Any, Any, Any], rate: Callable
) -> None:
    _alpha, beta, gamma = catalog
    rate(gamma, 1)
    warm(api_client, [detail_url(gamma, "ranks/")])
    assert rank(api_client, gamma) == (1, 1)
    # when beta gets its first counted review (worse than gamma's: no crossing)
    rate(beta, 1)
    # then gamma's total shows it
    assert rank(api_client, gamma) == (1, 2)


def test_a_conditional_list_read_is_304_until_a_shown_rating_changes(
    api_client: Any, catalog: tuple[Any, Any, Any], rate: Callable
) -> None:
    alpha, _, gamma = catalog
    rate(alpha, 3)
    etag = api_client.get(provider_list(gamma))["ETag"]
    alpha_etag = api_client.get(provider_list(alpha))["ETag"]
    rate(alpha, 5)
    assert api_client.get(provider_list(gamma), HTTP_IF_NONE_MATCH=etag).status_code == 304
    changed = api_client.get(provider_list(alpha), HTTP_IF_NONE_MATCH=alpha_etag)
    assert changed.status_code == 200


def test_a_list_read_during_a_rating_store_never_survives_its_commit(
    api_client: Any,
    catalog: tuple[Any, Any, Any],
    rate: Callable,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The list shard's after-commit bump: a reader that rendered between the first bump
    and the commit kept the old rating under the new tokens; the bump after commit
    retires it."""
    alpha, _, _ = catalog
    rate(alpha, 3)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        model_documents_invalidate([alpha.pk], ratings=True)  # the first bump
        assert listed_count(api_client, SLUG_ORDER_LIST, alpha) == 1  # a read before the change
        ModelRating.objects.filter(pk=alpha.pk).update(review_count=7)
    assert listed_count(api_client, SLUG_ORDER_LIST, alpha) == 1  # kept under the new tokens
    for callback in callbacks:
        callback()  # the commit
    assert listed_count(api_client, SLUG_ORDER_LIST, alpha) == 7


def test_a_list_page_reads_the_tokens_of_the_shards_it_shows_and_meets_their_eviction(
    api_client: Any, catalog: tuple[Any, Any, Any], rate: Callable
) -> None:
    """A list page's shown shards are read after the page (config.documents,
    OPTIONAL_READ_WITH_DOCUMENT): a token gone from the cache is not a current one."""
    alpha, _, _ = catalog
    rate(alpha, 3)
    warm(api_client, [SLUG_ORDER_LIST])
    assert kept(api_client, SLUG_ORDER_LIST)
    # when the token of alpha's shard is evicted and the row changes behind the cache's back
    cache.delete(_generation_key(list_shard_generation(alpha.slug)))
    ModelRating.objects.filter(pk=alpha.pk).update(review_count=7)
    # then the page is rendered again, and kept under the new token
    assert listed_count(api_client, SLUG_ORDER_LIST, alpha) == 7
    assert kept(api_client, SLUG_ORDER_LIST)


def test_a_rating_stored_between_a_list_pages_two_reads_is_shown(
    api_client: Any, catalog: tuple[Any, Any, Any], rate: Callable, monkeypatch: Any
) -> None:
    """The window the second read opens: a rating stored (row changed, shard bumped) after
    the page was read and before its shown shards' tokens are: the page is not served."""
    alpha, _, _ = catalog
    rate(alpha, 3)
    warm(api_client, [SLUG_ORDER_LIST])
    shard = list_shard_generation(alpha.slug)
    read_tokens = documents.hot_get_many
    raced: list[Any] = []

    def store_meanwhile(keys: Any) -> Any:
        if _generation_key(shard) in keys and not raced:
            raced.append(keys)
            ModelRating.objects.filter(pk=alpha.pk).update(review_count=7)
            documents.generations_bump_now([shard])
        return read_tokens(keys)

    monkeypatch.setattr(documents, "hot_get_many", store_meanwhile)
    assert listed_count(api_client, SLUG_ORDER_LIST, alpha) == 7
    assert raced  # the change landed between the two reads


def test_ranks_moved_is_pairwise_with_ties_and_totals(catalog: tuple[Any, Any, Any]) -> None:
    alpha, beta, gamma = catalog
    stored = {alpha.pk: 3.0, beta.pk: 4.0, gamma.pk: 4.5}
    for pk, value in stored.items():
        ModelRating.objects.update_or_create(
            model_id=pk, defaults={"bayesian_average": value, "lower_bound": None}
        )
    m = "bayesian_average"
    # alpha 3.0 -> 3.5: crosses nobody
    assert ranks_moved([(alpha.pk, {m: 3.0}, {m: 3.5})]) == {alpha.pk}
    # alpha 3.0 -> 4.0: ties beta (not strictly better: beta's rank unchanged)
    assert ranks_moved([(alpha.pk, {m: 3.0}, {m: 4.0})]) == {alpha.pk}
    # alpha 3.0 -> 4.2: passes beta, not gamma
    assert ranks_moved([(alpha.pk, {m: 3.0}, {m: 4.2})]) == {alpha.pk, beta.pk}
    # gamma 4.5 -> 3.9 falls below beta (and ties nobody): beta moves up
    assert ranks_moved([(gamma.pk, {m: 4.5}, {m: 3.9})]) == {gamma.pk, beta.pk}
    # alpha newly ranked on a measure: every model ranked on it shows a new total
    moved = ranks_moved([(alpha.pk, {}, {m: 1.0})])
    assert moved == {alpha.pk, beta.pk, gamma.pk}


@pytest.mark.django_db(transaction=True)
def test_concurrent_stores_that_cross_retire_each_others_ranks(
    catalog: tuple[Any, Any, Any],
) -> None:
    """N (1 -> 4) and M (2 -> 4.5) stored at once: M's store must compare with N's new
    value (4, between M's old and new), so it retires N's ranks. Unserialized, it read N's
    committed 1 while N's store had not committed, and a page of N's ranks rendered between
    the two commits (N above M) survived."""
    n, m_model, _ = catalog
    measure = "bayesian_average"
    for pk, value in ((n.pk, 1.0), (m_model.pk, 2.0)):
        ModelRating.objects.update_or_create(
            model_id=pk, defaults={"bayesian_average": value, "lower_bound": None}
        )
    compared = threading.Event()

    def store_n() -> None:
        try:
            with transaction.atomic():
                ModelRating.objects.filter(pk=n.pk).update(bayesian_average=4.0)
                ranks_moved([(n.pk, {measure: 1.0}, {measure: 4.0})])
                compared.set()
                time.sleep(1.0)  # still uncommitted while M's store compares
        finally:
            connection.close()

    first = threading.Thread(target=store_n)
    first.start()
    assert compared.wait(timeout=30)
    with transaction.atomic():
        ModelRating.objects.filter(pk=m_model.pk).update(bayesian_average=4.5)
        moved = ranks_moved([(m_model.pk, {measure: 2.0}, {measure: 4.5})])
    first.join(timeout=30)
    assert n.pk in moved, moved
