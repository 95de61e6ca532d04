"""Public reading: GET /api/v1/models/{provider}/{model}/reviews/ and GET /api/v1/reviews/{id}/."""

import datetime as dt

import pytest

from reviews.selectors import review_list_for_model
from tests.conftest import make_user, token_client
from tests.factories import ReviewFactory
from tests.reviews.conftest import review_url, reviews_url

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _titles(client, model, query: str = "") -> list[str]:
    response = client.get(f"{reviews_url(model)}?{query}")
    assert response.status_code == 200, response.json()
    return [review["title"] for review in response.json()["results"]]


@pytest.fixture
def shelf(ai_model):
    """Published reviews a..d of `ai_model` (d newest), plus ones nobody else may see."""
    specs = [
        ("a", 5, ["coding"], "openai/o4-mini-2025-04-16", True),
        ("b", 2, ["chat", "vision"], "openai/o4-mini-2025-01-31", False),
        ("c", 4, ["document_review"], "openai/o4-mini-2025-04-16", False),
        ("d", 3, ["coding", "agents"], "openai/o4-mini-2025-04-16", True),
    ]
    for hours, (title, rating, use_cases, version, usage_verified) in enumerate(specs):
        ReviewFactory(
            model=ai_model, published=True, title=title, rating=rating, use_cases=use_cases,
            model_version=version, usage_verified=usage_verified,
            published_at=T0 + dt.timedelta(hours=hours),
        )  # fmt: skip
    for status in ("pending", "rejected", "hidden", "withdrawn"):
        ReviewFactory(model=ai_model, status=status, title=status)
    ReviewFactory(published=True, title="other model")


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("", ["d", "c", "b", "a"]),
        ("ordering=-published_at", ["d", "c", "b", "a"]),
        ("ordering=-stars", ["a", "c", "d", "b"]),
        ("ordering=stars", ["b", "d", "c", "a"]),
        ("stars=4", ["c"]),
        ("use_case=coding", ["d", "a"]),
        ("use_case=vision", ["b"]),
        ("model_version=openai/o4-mini-2025-01-31", ["b"]),
        # any name of the current version: the dated slug, the undated one, a variant
        ("model_version=openai/o4-mini-2025-04-16", ["d", "c", "a"]),
        ("model_version=openai/o4-mini", ["d", "c", "a"]),
        ("model_version=openai/o4-mini:batch", ["d", "c", "a"]),
        ("usage_verified=true", ["d", "a"]),
        ("usage_verified=false", ["c", "b"]),
        ("ordering=-stars&use_case=coding&usage_verified=true", ["a", "d"]),
    ],
)
def test_public_list_shows_published_reviews_filtered_and_ordered(
    shelf, ai_model, anonymous, query, titles
):
    assert _titles(anonymous.client, ai_model, query) == titles


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("ordering=best", "ordering"),
        ("stars=6", "stars"),
        ("stars=four", "stars"),
        ("use_case=poetry", "use_case"),
        ("usage_verified=maybe", "usage_verified"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("cursor=bm9wZQ", "cursor"),
    ],
)
def test_public_list_bad_values_are_400_naming_them(ai_model, anonymous, query, field):
    response = anonymous.client.get(f"{reviews_url(ai_model)}?{query}")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_use_case_filter_matches_whole_values_only(ai_model):
    # jsonb containment on PostgreSQL: "chat" does not match inside another value
    ReviewFactory(model=ai_model, published=True, use_cases=["document_review"])
    assert not review_list_for_model(model=ai_model, use_case="review").exists()
    assert review_list_for_model(model=ai_model, use_case="document_review").count() == 1


@pytest.mark.parametrize(
    "order", ["-published_at", "published_at", "-helpfulness", "-stars", "stars"]
)
def test_cursor_pages_cover_every_review_once_even_with_ties(ai_model, anonymous, order):
    # given 7 reviews with tied ratings, tied helpfulness and some tied publication times
    for n in range(7):
        ReviewFactory(
            model=ai_model, published=True, title=f"r{n}", rating=3 + n % 2,
            published_at=T0 + dt.timedelta(hours=n // 3),
        )  # fmt: skip
    seen, url = [], f"{reviews_url(ai_model)}?ordering={order}&page_size=2"
    while url:
        page = anonymous.client.get(url).json()
        seen += [r["title"] for r in page["results"]]
        url = page["next"]
    assert sorted(seen) == [f"r{n}" for n in range(7)]
    assert len(seen) == 7

    # and `previous` from the last page walks back to the first one
    page = anonymous.client.get(f"{reviews_url(ai_model)}?ordering={order}&page_size=2").json()
    first_titles = [r["title"] for r in page["results"]]
    second = anonymous.client.get(page["next"]).json()
    back = anonymous.client.get(second["previous"]).json()
    assert [r["title"] for r in back["results"]] == first_titles


def test_a_cursor_from_another_order_is_400(ai_model, anonymous):
    for n in range(3):
        ReviewFactory(model=ai_model, published=True, published_at=T0 + dt.timedelta(hours=n))
    page = anonymous.client.get(f"{reviews_url(ai_model)}?page_size=1").json()
    cursor = page["next"].split("cursor=")[1].split("&")[0]
    response = anonymous.client.get(f"{reviews_url(ai_model)}?ordering=-stars&cursor={cursor}")
    assert (response.status_code, list(response.json()["fields"])) == (400, ["cursor"])


@pytest.mark.parametrize("page_size", [2, 10])
def test_public_list_query_count_does_not_grow_with_page_size(
    ai_model, anonymous, page_size, django_assert_num_queries
):
    for _ in range(10):
        ReviewFactory(model=ai_model, published=True, author=make_user())
    # the model with its provider, the list's `count`, one query for the page with
    # authors, one for the provider replies of the page
    with django_assert_num_queries(4):
        response = anonymous.client.get(f"{reviews_url(ai_model)}?page_size={page_size}")
    assert len(response.json()["results"]) == page_size


def test_each_review_shows_display_name_and_profile_link_never_an_email(ai_model, anonymous):
    author = make_user(display_name="Ada L.")
    review = ReviewFactory(model=ai_model, published=True, author=author)
    response = anonymous.client.get(review_url(review.public_id))
    assert response.json()["author"] == {
        "username": author.username,
        "display_name": "Ada L.",
        "profile_url": f"http://testserver/api/v1/users/{author.username}/",
    }
    assert anonymous.client.get(response.json()["author"]["profile_url"]).status_code == 200
    listed = anonymous.client.get(reviews_url(ai_model)).content.decode()
    assert author.email not in listed
    assert author.email not in response.content.decode()


def test_review_ids_are_random_uuids(ai_model):
    first, second = (ReviewFactory(model=ai_model) for _ in range(2))
    assert first.public_id.version == 4
    assert first.public_id != second.public_id


def test_list_of_an_unknown_model_is_404(anonymous):
    response = anonymous.client.get("/api/v1/models/acme/none/reviews/")
    assert (response.status_code, response.json()["code"]) == (404, "model_not_found")


def test_author_sees_own_pending_review_others_do_not(ai_model, other_verified, anonymous):
    author = make_user()
    review = ReviewFactory(model=ai_model, author=author, status="pending")
    assert token_client(author).get(review_url(review.public_id)).json()["status"] == "pending"
    assert other_verified.client.get(review_url(review.public_id)).status_code == 404
    assert anonymous.client.get(review_url(review.public_id)).status_code == 404
    unknown = anonymous.client.get(review_url("00000000-0000-4000-8000-000000000000"))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "review_not_found")
