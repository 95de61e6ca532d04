"""GET /api/v1/providers/ and /api/v1/providers/{slug}/."""

import pytest
from django.urls import reverse

from tests.factories import AIModelFactory, ModelFamilyFactory, ProviderFactory

pytestmark = pytest.mark.django_db
URL = reverse("catalog:provider-list")


@pytest.fixture
def openai():
    provider = ProviderFactory(slug="openai", name="OpenAI", website="https://openai.com")
    o_family = ModelFamilyFactory(provider=provider, slug="o", name="o")
    gpt = ModelFamilyFactory(provider=provider, slug="gpt", name="GPT")
    ModelFamilyFactory(provider=provider, slug="dall-e", name="DALL-E")
    for family in (o_family, o_family, gpt, None):
        AIModelFactory(provider=provider, family=family)
    return provider


def test_provider_list_returns_providers_by_name_with_model_counts(api_client, openai):
    # given a second provider without models
    ProviderFactory(slug="anthropic", name="Anthropic")
    # when
    response = api_client.get(URL)
    # then
    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert response.json()["results"] == [
        {"slug": "anthropic", "name": "Anthropic", "website": "", "model_count": 0,
         "url": "http://testserver/api/v1/providers/anthropic/"},
        {"slug": "openai", "name": "OpenAI", "website": "https://openai.com", "model_count": 4,
         "url": "http://testserver/api/v1/providers/openai/"},
    ]  # fmt: skip


def test_provider_detail_returns_families_with_model_counts(api_client, openai):
    # when
    response = api_client.get(reverse("catalog:provider-detail", kwargs={"slug": "openai"}))
    # then
    assert response.status_code == 200
    assert response.json() == {
        "slug": "openai",
        "name": "OpenAI",
        "website": "https://openai.com",
        "description": "",
        "support_url": "",
        "support_email": "",
        "links": [],
        "claimed": False,
        "model_count": 4,
        "families": [
            {"slug": "dall-e", "name": "DALL-E", "model_count": 0},
            {"slug": "gpt", "name": "GPT", "model_count": 1},
            {"slug": "o", "name": "o", "model_count": 2},
        ],
        "models_url": "http://testserver/api/v1/models/?provider=openai",
    }


@pytest.mark.parametrize("slug", ["nobody", "ünïcødé", "open.ai", "nul%00byte", "x" * 500])
def test_provider_detail_answers_provider_not_found(api_client, openai, slug):
    # when
    response = api_client.get(f"/api/v1/providers/{slug}/")
    # then
    assert response.status_code == 404
    assert response.json()["code"] == "provider_not_found"


@pytest.mark.parametrize("page_size", ["0", "101", "-5", "lots"])
def test_provider_list_rejects_bad_page_size_naming_it(api_client, openai, page_size):
    # when
    response = api_client.get(URL, {"page_size": page_size})
    # then
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["page_size"]


def test_provider_list_answers_400_for_an_unknown_page_parameter(api_client, openai):
    # when (the contract changed: `page` is gone, pages are opaque `cursor`s)
    response = api_client.get(URL, {"page": 10**30})
    # then
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_parameter"
    assert list(response.json()["fields"]) == ["page"]


@pytest.mark.parametrize("page_size", [5, 50])
def test_provider_list_query_count_does_not_grow_with_page_size(
    api_client, django_assert_num_queries, page_size
):
    # given 60 providers with a model each
    for _ in range(60):
        AIModelFactory()
    # when / then: count and page
    with django_assert_num_queries(2):
        response = api_client.get(URL, {"page_size": page_size})
    assert len(response.json()["results"]) == page_size
    assert {p["model_count"] for p in response.json()["results"]} == {1}


def test_provider_detail_runs_two_queries(api_client, openai, django_assert_num_queries):
    # when / then: the provider with its count, and its families with theirs
    with django_assert_num_queries(2):
        api_client.get(reverse("catalog:provider-detail", kwargs={"slug": "openai"}))
