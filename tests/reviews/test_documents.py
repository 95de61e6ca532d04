"""Pre-rendered public documents (config.documents): warm reads run no query, HTTP caching
and compression, and, for every input a document shows, a change through the real service
is visible in the next read of every document that shows it."""

import datetime as dt
import gzip
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from accounts.services import profile_update
from config.documents import generations_bump
from models_catalog import services as catalog
from models_catalog.models import Direction, Source
from reviews.ratings import rating_recompute
from reviews.services import review_hide, review_withdraw, vote_set
from tests.conftest import make_user, token_client
from tests.factories import AIModelFactory, ModelFamilyFactory, PriceFactory, ProviderFactory
from tests.reviews.conftest import reviews_url

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 1)


def detail_url(model: Any, query: str = "") -> str:
    return f"/api/v1/models/{model.slug}/{query}"


def page_url(model: Any) -> str:
    return detail_url(model, "?include=rating,ranks,reviews")


def ranks_of(client: Any, model: Any, measure: str) -> int | None:
    ranks = client.get(detail_url(model, "ranks/")).json()["ranks"]
    found = [r["rank"] for r in ranks if r["category"] == "all" and r["measure"] == measure]
    return found[0] if found else None


def recompute(model: Any) -> None:
    # The store's after-commit work (rating cache refresh, then the documents' bump) runs.
    with TestCase.captureOnCommitCallbacks(execute=True):
        rating_recompute(model.pk)


@pytest.fixture
def two_models() -> tuple[Any, Any]:
    provider = ProviderFactory(slug="acme", name="Acme")
    family = ModelFamilyFactory(provider=provider)
    first = AIModelFactory(provider=provider, slug="acme/alpha", family=family)
    second = AIModelFactory(provider=provider, slug="acme/beta", family=family)
    for model, price in ((first, "1.00"), (second, "2.00")):
        PriceFactory(model=model, input_per_mtok=Decimal(price), output_per_mtok=Decimal(price))
    return first, second


@pytest.fixture
def reviewed(two_models: tuple[Any, Any], create_review: Callable, publish: Callable) -> Any:
    """Alpha with one published review by `author`, its rating stored."""
    alpha, _ = two_models
    review = publish(create_review(make_user(display_name="Ada"), model=alpha))
    recompute(alpha)
    return review


ALL_READS = [
    lambda m: detail_url(m),
    lambda m: "/api/v1/models/?page_size=50",
    lambda m: detail_url(m, "ranks/"),
    lambda m: detail_url(m, "cost/?input_tokens=1000000&output_tokens=1000"),
    lambda m: reviews_url(m),
    lambda m: reviews_url(m) + "?ordering=-helpfulness",
    lambda m: page_url(m),
    lambda m: "/api/v1/providers/",
    lambda m: f"/api/v1/providers/{m.provider.slug}/",
    lambda m: detail_url(m, "prices/"),
    lambda m: "/api/v1/charts/?category=all&measure=input_price",
    lambda m: f"/api/v1/compare/?models={m.slug},acme/beta",
]


@pytest.mark.parametrize("url_of", ALL_READS)
def test_documents_warm_read_runs_no_query(
    api_client: Any, reviewed: Any, django_assert_num_queries: Any, url_of: Callable
) -> None:
    # given a document read once (rendered into the cache)
    url = url_of(reviewed.model)
    first = api_client.get(url)
    assert first.status_code == 200
    # when it is read again, then it is served from the cache without a query, identical
    with django_assert_num_queries(0):
        again = api_client.get(url)
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]


def test_documents_cold_read_query_count_does_not_grow_with_page_size(
    api_client: Any, django_assert_max_num_queries: Any
) -> None:
    # given 3 models, then 30: the cold list runs the same queries for either
    def cold_queries(count: int) -> int:
        AIModelFactory.create_batch(count)
        catalog.catalog_documents_invalidate()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert api_client.get("/api/v1/models/?page_size=100").status_code == 200
        return len(queries)

    assert cold_queries(3) == cold_queries(27)


def test_documents_answer_304_with_cache_control_and_etag(api_client: Any, reviewed: Any) -> None:
    for url_of in ALL_READS:
        url = url_of(reviewed.model)
        first = api_client.get(url)
        assert "stale-while-revalidate" in first["Cache-Control"]
        assert first["Cache-Control"].startswith("public")
        again = api_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304, url
        assert again["ETag"] == first["ETag"]


def test_documents_gzip_only_for_anonymous_readers_of_large_bodies(
    api_client: Any, reviewed: Any
) -> None:
    url = page_url(reviewed.model)
    plain = api_client.get(url)
    zipped = api_client.get(url, HTTP_ACCEPT_ENCODING="gzip, br")
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert "Accept-Encoding" in zipped["Vary"]
    assert "Cookie" not in zipped["Vary"]  # the catalog's documents are the same for all
    assert zipped["ETag"] == f"W/{plain['ETag']}"
    assert api_client.get(url, HTTP_IF_NONE_MATCH=plain["ETag"]).status_code == 304
    # a request carrying credentials is never compressed (BREACH)
    signed_in = token_client(make_user())
    assert not signed_in.get(url, HTTP_ACCEPT_ENCODING="gzip").has_header("Content-Encoding")
    # a small body is not compressed either
    cost = detail_url(reviewed.model, "cost/?input_tokens=1000")
    small = api_client.get(cost, HTTP_ACCEPT_ENCODING="gzip")
    assert len(small.content) < 1024
    assert not small.has_header("Content-Encoding")
    assert "Accept-Encoding" not in small.get("Vary", "")  # never compressed: no variation


def test_page_bundle_holds_each_part_as_its_own_endpoint(api_client: Any, reviewed: Any) -> None:
    model = reviewed.model
    body = api_client.get(page_url(model)).json()
    detail = api_client.get(detail_url(model)).json()
    assert {k: v for k, v in body.items() if k != "included"} == detail
    assert body["included"]["rating"] == api_client.get(detail_url(model, "rating/")).json()
    assert body["included"]["ranks"] == api_client.get(detail_url(model, "ranks/")).json()
    assert body["included"]["reviews"] == api_client.get(reviews_url(model)).json()
    assert body["included"]["reviews"]["results"][0]["id"] == str(reviewed.public_id)


def test_page_bundle_rejects_an_unknown_part(api_client: Any, reviewed: Any) -> None:
    response = api_client.get(detail_url(reviewed.model, "?include=rating,nope"))
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "include" in response.json()["fields"]


def test_an_alias_is_served_but_never_kept_under_its_own_name(
    api_client: Any, two_models: tuple[Any, Any]
) -> None:
    alpha, beta = two_models
    catalog.alias_record(slug="acme/latest", model=alpha, source=Source.OPENROUTER, as_of=TODAY)
    assert api_client.get("/api/v1/models/acme/latest/").json()["slug"] == "acme/alpha"
    # when the alias moves, then the next read follows it
    catalog.alias_record(slug="acme/latest", model=beta, source=Source.OPENROUTER, as_of=TODAY)
    assert api_client.get("/api/v1/models/acme/latest/").json()["slug"] == "acme/beta"
    bundle = api_client.get("/api/v1/models/acme/latest/?include=ranks").json()
    assert bundle["included"]["ranks"]["model"]["slug"] == "acme/beta"


# --- Invalidation: each input, every document that shows it ----------------------------


def test_an_import_shows_in_detail_list_and_bundle(api_client: Any, reviewed: Any) -> None:
    model = reviewed.model
    reads = [detail_url(model), "/api/v1/models/", page_url(model)]
    for url in reads:
        api_client.get(url)
    catalog.model_import(
        slug=model.slug, provider=model.provider, attributes={"name": "Alpha Renamed"},
        source=Source.EDITOR, as_of=TODAY,
    )  # fmt: skip
    assert api_client.get(detail_url(model)).json()["name"] == "Alpha Renamed"
    names = [m["name"] for m in api_client.get("/api/v1/models/").json()["results"]]
    assert "Alpha Renamed" in names
    assert api_client.get(page_url(model)).json()["name"] == "Alpha Renamed"


def test_an_editor_edit_shows_in_the_page(api_client: Any, two_models: tuple[Any, Any]) -> None:
    alpha, _ = two_models
    api_client.get(detail_url(alpha))
    alpha.description = "Edited by an editor."
    catalog.model_update_by_editor(alpha, ["description"])
    assert api_client.get(detail_url(alpha)).json()["description"] == "Edited by an editor."


def test_a_sibling_change_shows_in_the_other_models_page(
    api_client: Any, two_models: tuple[Any, Any]
) -> None:
    alpha, beta = two_models
    before = api_client.get(detail_url(alpha)).content
    catalog.model_import(
        slug=beta.slug, provider=beta.provider, attributes={"name": "Beta Prime"},
        source=Source.EDITOR, as_of=TODAY,
    )  # fmt: skip
    after = api_client.get(detail_url(alpha))
    assert after.content != before
    assert b"Beta Prime" in after.content


def test_a_price_change_shows_in_detail_list_cost_and_others_ranks(
    api_client: Any, two_models: tuple[Any, Any]
) -> None:
    alpha, beta = two_models
    cost = detail_url(alpha, "cost/?input_tokens=1000000")
    assert ranks_of(api_client, beta, "input_price") == 2
    assert api_client.get(cost).json()["total"] == "1.00"
    api_client.get("/api/v1/models/?ordering=input_price")
    # when alpha's price rises above beta's
    catalog.price_record(
        model=alpha, source=Source.EDITOR, as_of=TODAY,
        input_per_mtok=Decimal("3.00"), output_per_mtok=Decimal("3.00"),
    )  # fmt: skip
    assert api_client.get(cost).json()["total"] == "3.00"
    assert ranks_of(api_client, beta, "input_price") == 1
    first = api_client.get("/api/v1/models/?ordering=input_price").json()["results"][0]
    assert first["slug"] == beta.slug
    assert b"3.00" in api_client.get(detail_url(alpha)).content


def test_a_metric_change_shows_in_detail_and_others_ranks(
    api_client: Any, two_models: tuple[Any, Any]
) -> None:
    alpha, beta = two_models
    metric = catalog.metric_get_or_create(
        key="arena", name="Arena", unit="elo", direction=Direction.HIGHER_IS_BETTER
    )
    for model, value in ((alpha, "1200"), (beta, "1100")):
        catalog.metric_record(
            model=model, metric=metric, value=Decimal(value), source="lmarena", as_of=TODAY
        )
    assert ranks_of(api_client, beta, "arena") == 2
    api_client.get(detail_url(alpha))
    catalog.metric_record(
        model=alpha, metric=metric, value=Decimal("1000"), source="lmarena",
        as_of=TODAY + dt.timedelta(days=1),
    )  # fmt: skip
    assert ranks_of(api_client, beta, "arena") == 1
    assert b"1000" in api_client.get(detail_url(alpha)).content


def test_a_stored_rating_shows_in_list_detail_bundle_and_others_ranks(
    api_client: Any,
    two_models: tuple[Any, Any],
    create_review: Callable,
    publish: Callable,
) -> None:
    alpha, beta = two_models
    publish(create_review(make_user(), model=alpha, rating=3))
    recompute(alpha)
    # beta is not rated yet: warm every document
    reads = [detail_url(alpha), "/api/v1/models/?ordering=-bayesian_average", page_url(alpha)]
    for url in reads:
        api_client.get(url)
    assert ranks_of(api_client, alpha, "bayesian_average") == 1
    # when beta gets five 5-star reviews and its rating is stored
    for _ in range(5):
        publish(create_review(make_user(), model=beta, rating=5))
    recompute(beta)
    # then alpha's rank, the list's order and the bundle of beta show it
    assert ranks_of(api_client, alpha, "bayesian_average") == 2
    listed = api_client.get("/api/v1/models/?ordering=-bayesian_average").json()["results"]
    assert listed[0]["slug"] == beta.slug
    assert listed[0]["rating"]["review_count"] == 5
    assert api_client.get(detail_url(beta)).json()["rating"]["review_count"] == 5
    bundle = api_client.get(page_url(beta)).json()
    assert bundle["included"]["rating"]["review_count"] == 5
    assert bundle["rating"]["review_count"] == 5


def test_every_models_ranks_share_one_read_of_the_catalog_until_a_rating_is_stored(
    api_client: Any, two_models: tuple[Any, Any], create_review: Callable, publish: Callable
) -> None:
    alpha, beta = two_models
    publish(create_review(make_user(), model=alpha, rating=3))
    recompute(alpha)

    def catalog_read(model: Any) -> bool:
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(detail_url(model, "ranks/")).status_code == 200
        return any("models_catalog_metricvalue" in q["sql"] for q in queries.captured_queries)

    # the first model's ranks read the whole catalog; the second's, under the same
    # generations, reuse it
    assert catalog_read(alpha)
    assert not catalog_read(beta)
    # a stored rating retires it with the documents: read again, and the ranks show it
    for _ in range(5):
        publish(create_review(make_user(), model=beta, rating=5))
    recompute(beta)
    assert catalog_read(alpha)
    assert ranks_of(api_client, alpha, "bayesian_average") == 2


def test_publication_withdrawal_and_hiding_show_in_reviews_and_bundle(
    api_client: Any, reviewed: Any, create_review: Callable, publish: Callable, moderator: Any
) -> None:
    model = reviewed.model
    assert len(api_client.get(reviews_url(model)).json()["results"]) == 1
    api_client.get(page_url(model))
    # publication
    other = publish(create_review(make_user(), model=model))
    assert len(api_client.get(reviews_url(model)).json()["results"]) == 2
    assert len(api_client.get(page_url(model)).json()["included"]["reviews"]["results"]) == 2
    # withdrawal
    review_withdraw(review=other, author=other.author)
    assert len(api_client.get(reviews_url(model)).json()["results"]) == 1
    assert len(api_client.get(page_url(model)).json()["included"]["reviews"]["results"]) == 1
    # hiding by a moderator
    review_hide(review=reviewed, moderator=moderator.user, reason="spam")
    assert api_client.get(reviews_url(model)).json()["results"] == []


def test_a_vote_shows_in_the_reviews_page(api_client: Any, reviewed: Any) -> None:
    url = reviews_url(reviewed.model) + "?ordering=-helpfulness"
    assert api_client.get(url).json()["results"][0]["helpful_count"] == 0
    vote_set(review=reviewed, voter=make_user(), helpful=True)
    assert api_client.get(url).json()["results"][0]["helpful_count"] == 1


def test_a_reviewers_change_shows_beside_their_reviews_of_every_model(
    api_client: Any, reviewed: Any, two_models: tuple[Any, Any], create_review: Callable,
    publish: Callable,
) -> None:  # fmt: skip
    alpha, beta = two_models
    author = reviewed.author
    facts = api_client.get(reviews_url(alpha)).json()["results"][0]
    assert facts["reviewer"]["published_reviews"] == 1
    # a review of ANOTHER model published: the count beside the first one changes
    publish(create_review(author, model=beta))
    facts = api_client.get(reviews_url(alpha)).json()["results"][0]
    assert facts["reviewer"]["published_reviews"] == 2
    # the byline
    profile_update(user=author, display_name="Ada L.")
    assert api_client.get(reviews_url(alpha)).json()["results"][0]["author"]["display_name"] == (
        "Ada L."
    )


def test_a_vote_shows_in_the_bundle_and_leaves_the_model_page_warm(
    api_client: Any, reviewed: Any, django_assert_num_queries: Any
) -> None:
    # A vote shows on the reviews pages only (their own generation): the bundle's reviews
    # part changes, the model page is still served from the cache.
    model = reviewed.model
    api_client.get(detail_url(model))
    assert (
        api_client.get(page_url(model)).json()["included"]["reviews"]["results"][0]["helpful_count"]
        == 0
    )
    vote_set(review=reviewed, voter=make_user(), helpful=True)
    # (the page first: the bundle renders the model page into the cache when it is cold)
    with django_assert_num_queries(0):
        assert api_client.get(detail_url(model)).status_code == 200
    bundle = api_client.get(page_url(model)).json()
    assert bundle["included"]["reviews"]["results"][0]["helpful_count"] == 1


def test_a_publication_retires_only_the_reviews_pages_of_its_authors_models(
    api_client: Any, reviewed: Any, two_models: tuple[Any, Any], create_review: Callable,
    publish: Callable, moderator: Any, django_assert_num_queries: Any,
) -> None:  # fmt: skip
    alpha, beta = two_models
    assert api_client.get(reviews_url(alpha)).status_code == 200
    # a stranger to alpha publishes a review of beta: alpha's reviews page shows nothing of
    # theirs, so it stays warm (no read of the database)
    publish(create_review(make_user(), model=beta))
    with django_assert_num_queries(0):
        assert api_client.get(reviews_url(alpha)).status_code == 200
    # alpha's author publishes a review of beta, then a moderator hides it: the count
    # beside their review of alpha follows both
    theirs = publish(create_review(reviewed.author, model=beta))
    facts = api_client.get(reviews_url(alpha)).json()["results"][0]["reviewer"]
    assert facts["published_reviews"] == 2
    review_hide(review=theirs, moderator=moderator.user, reason="spam")
    facts = api_client.get(reviews_url(alpha)).json()["results"][0]["reviewer"]
    assert facts["published_reviews"] == 1


def test_a_publication_shows_in_the_model_page_when_its_rating_is_stored(
    api_client: Any, reviewed: Any, create_review: Callable, publish: Callable,
    django_assert_num_queries: Any,
) -> None:  # fmt: skip
    # The page shows what is stored from the reviews (the rating, the versions' counts), so
    # a publication leaves it warm and the stored rating retires it.
    model = reviewed.model
    assert api_client.get(detail_url(model)).json()["rating"]["review_count"] == 1
    publish(create_review(make_user(), model=model))
    assert len(api_client.get(reviews_url(model)).json()["results"]) == 2
    with django_assert_num_queries(0):
        assert api_client.get(detail_url(model)).json()["rating"]["review_count"] == 1
    recompute(model)
    page = api_client.get(detail_url(model)).json()
    assert page["rating"]["review_count"] == 2
    assert sum(v["review_count"] for v in page["versions"]) == 2


def test_a_change_committed_after_a_read_began_never_survives(
    api_client: Any, two_models: tuple[Any, Any], django_capture_on_commit_callbacks: Any
) -> None:
    """The after-commit bump: a reader that rendered between the first bump and the commit
    kept an entry under the new tokens; the bump after commit retires it."""
    alpha, _ = two_models
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        catalog.model_update_by_editor(alpha, [])  # the first bump, inside the transaction
        stale = api_client.get(detail_url(alpha)).json()  # a read before the change
        alpha.name = "Committed Later"
        alpha.save()
    assert stale["name"] != "Committed Later"
    assert api_client.get(detail_url(alpha)).json() == stale  # kept under the new tokens
    for callback in callbacks:
        callback()  # the commit
    assert api_client.get(detail_url(alpha)).json()["name"] == "Committed Later"


def test_documents_fall_back_to_the_database_when_the_cache_fails(
    api_client: Any, two_models: tuple[Any, Any], settings: Any
) -> None:
    alpha, _ = two_models
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ReusingRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    response = api_client.get(detail_url(alpha))
    assert response.status_code == 200
    assert response.json()["slug"] == alpha.slug
    generations_bump(["catalog"])  # never raises


# --- Charts, comparisons and price histories: each input, every document that shows it ---


def chart_url(measure: str) -> str:
    return f"/api/v1/charts/?category=all&measure={measure}"


def compare_url(*names: str) -> str:
    return f"/api/v1/compare/?models={','.join(names)}"


def chart_points(client: Any, measure: str) -> dict[str, tuple[str, int]]:
    points = client.get(chart_url(measure)).json()["points"]
    return {p["model"]["slug"]: (p["value"], p["rank"]) for p in points}


def compare_row(client: Any, url: str, key: str) -> list[str | None]:
    rows = {row["key"]: row for row in client.get(url).json()["rows"]}
    return [cell["value"] for cell in rows[key]["cells"]] if key in rows else []


def test_a_price_change_shows_in_price_history_chart_and_compare(
    api_client: Any, two_models: tuple[Any, Any]
) -> None:
    alpha, beta = two_models
    history, compared = detail_url(alpha, "prices/"), compare_url(alpha.slug, beta.slug)
    # given every document read once (kept)
    rows_before = sum(len(s["prices"]) for s in api_client.get(history).json()["series"])
    assert chart_points(api_client, "input_price")[alpha.slug] == ("1", 1)
    assert compare_row(api_client, compared, "input_price") == ["1", "2"]
    cost_before = compare_row(api_client, compared, "cost")
    # when alpha's price rises above beta's (a new dated row)
    catalog.price_record(
        model=alpha, source=Source.EDITOR, as_of=TODAY,
        input_per_mtok=Decimal("3.00"), output_per_mtok=Decimal("3.00"),
    )  # fmt: skip
    # then
    series = api_client.get(history).json()["series"]
    assert sum(len(s["prices"]) for s in series) == rows_before + 1
    assert chart_points(api_client, "input_price")[alpha.slug] == ("3", 2)
    assert compare_row(api_client, compared, "input_price") == ["3", "2"]
    cost_after = compare_row(api_client, compared, "cost")
    assert cost_after[0] != cost_before[0]
    assert cost_after[1] == cost_before[1]


def test_a_metric_change_shows_in_chart_and_compare(
    api_client: Any, two_models: tuple[Any, Any]
) -> None:
    alpha, beta = two_models
    metric = catalog.metric_get_or_create(
        key="speed_tps", name="Speed", unit="tokens/s", direction=Direction.HIGHER_IS_BETTER
    )
    for model, value in ((alpha, "100"), (beta, "90")):
        catalog.metric_record(
            model=model, metric=metric, value=Decimal(value), source="aa", as_of=TODAY
        )
    compared = compare_url(alpha.slug, beta.slug)
    assert chart_points(api_client, "speed_tps")[beta.slug] == ("90", 2)
    assert compare_row(api_client, compared, "speed_tps") == ["100", "90"]
    # when
    catalog.metric_record(
        model=beta, metric=metric, value=Decimal("120"), source="aa",
        as_of=TODAY + dt.timedelta(days=1),
    )  # fmt: skip
    # then
    assert chart_points(api_client, "speed_tps")[beta.slug] == ("120", 1)
    assert compare_row(api_client, compared, "speed_tps") == ["100", "120"]


def test_a_model_import_or_edit_shows_in_chart_and_compare(
    api_client: Any, two_models: tuple[Any, Any]
) -> None:
    alpha, beta = two_models
    compared = compare_url(alpha.slug, beta.slug)
    assert len(chart_points(api_client, "input_price")) == 2
    api_client.get(compared)
    # when a model is imported with a price, and alpha is renamed and its context edited
    gamma: Any = AIModelFactory(provider=alpha.provider, slug="acme/gamma")
    catalog.price_record(
        model=gamma, source=Source.EDITOR, as_of=TODAY,
        input_per_mtok=Decimal("0.50"), output_per_mtok=Decimal("0.50"),
    )  # fmt: skip
    catalog.model_import(
        slug=alpha.slug, provider=alpha.provider,
        attributes={"name": "Alpha Renamed", "context_window": 999_999},
        source=Source.EDITOR, as_of=TODAY,
    )  # fmt: skip
    # then
    assert chart_points(api_client, "input_price")["acme/gamma"] == ("0.5", 1)
    body = api_client.get(compared).json()
    assert body["models"][0]["name"] == "Alpha Renamed"
    assert compare_row(api_client, compared, "context_window")[0] == "999999"


def test_an_alias_moving_shows_in_compare_and_price_history(
    api_client: Any, two_models: tuple[Any, Any]
) -> None:
    alpha, beta = two_models
    AIModelFactory(provider=alpha.provider, slug="acme/gamma")
    catalog.alias_record(slug="acme/latest", model=alpha, source=Source.OPENROUTER, as_of=TODAY)
    compared = compare_url("acme/latest", "acme/gamma")
    assert api_client.get(compared).json()["models"][0]["slug"] == alpha.slug
    prices = "/api/v1/models/acme/latest/prices/"
    assert api_client.get(prices).json()["model"]["slug"] == alpha.slug
    # when the alias moves
    catalog.alias_record(slug="acme/latest", model=beta, source=Source.OPENROUTER, as_of=TODAY)
    # then
    assert api_client.get(compared).json()["models"][0]["slug"] == beta.slug
    assert api_client.get(prices).json()["model"]["slug"] == beta.slug


def test_a_stored_rating_shows_in_chart_and_compare_with_use_case_ranks(
    api_client: Any,
    two_models: tuple[Any, Any],
    create_review: Callable,
    publish: Callable,
    settings: Any,
) -> None:
    settings.RATING_USE_CASE_MIN_REVIEWS = 2
    alpha, beta = two_models
    for stars in (4, 4):
        publish(create_review(make_user(), model=alpha, rating=stars, use_cases=["coding"]))
    recompute(alpha)
    compared = compare_url(alpha.slug, beta.slug)
    assert list(chart_points(api_client, "bayesian_average")) == [alpha.slug]
    assert compare_row(api_client, compared, "review_count") == ["2", "0"]
    assert compare_row(api_client, compared, "coding_rank") == ["1", None]
    # when beta gets better coding reviews and its rating is stored
    for _ in range(3):
        publish(create_review(make_user(), model=beta, rating=5, use_cases=["coding"]))
    recompute(beta)
    # then the chart ranks beta first, and compare shows its counts and both coding ranks
    assert [rank for _, rank in chart_points(api_client, "bayesian_average").values()] == [1, 2]
    assert chart_points(api_client, "bayesian_average")[beta.slug][1] == 1
    assert compare_row(api_client, compared, "review_count") == ["2", "3"]
    assert compare_row(api_client, compared, "coding_rank") == ["2", "1"]


def test_comparison_documents_are_kept_only_for_the_queries_they_read(
    api_client: Any, two_models: tuple[Any, Any], django_assert_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    alpha, beta = two_models
    kept = compare_url(alpha.slug, beta.slug)
    # an unknown parameter is refused before any document is read (strict input)
    assert api_client.get(kept + "&junk=1").json()["code"] == "unknown_parameter"
    # an uncommon token count, a dated history: rendered every time
    dated = detail_url(alpha, "prices/?since=2020-01-01")
    for url in (kept + "&input_tokens=1234", dated):
        assert api_client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(url).status_code == 200
        assert len(queries) > 0, url
    # the plain comparison is kept: its second read runs no query
    first = api_client.get(kept)
    with django_assert_num_queries(0):
        assert api_client.get(kept).content == first.content
    # a bad parameter is a 400 naming it, every time (validated when rendered, never kept)
    for _ in range(2):
        response = api_client.get("/api/v1/charts/?category=all&measure=vibes")
        assert (response.status_code, response.json()["code"]) == (400, "unknown_measure")
        response = api_client.get(compare_url(alpha.slug))
        assert (response.status_code, list(response.json()["fields"])) == (400, ["models"])
