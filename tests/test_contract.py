"""The API contract (README, "API contract"): one error body documented on every status,
strict query parameters and bodies judged against the schema itself, one pagination and
ordering idiom, tags and operation ids. The live fuzzing and the TypeScript check are
`make contract` (scripts/contract_check.sh)."""

from typing import Any

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from config import strict
from tests.conftest import make_user, token_client
from tests.factories import AIModelFactory, ProviderFactory
from tests.reviews.conftest import review_payload, reviews_url

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
ERROR_STATUSES = {"400", "401", "403", "404", "405", "406", "429", "500"}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def test_every_operation_documents_every_error_status_with_the_one_body(schema):
    for path, method, operation in _operations(schema):
        statuses = set(operation["responses"])
        expected = ERROR_STATUSES | ({"413", "415"} if method != "get" else set())
        assert expected <= statuses, (method, path, expected - statuses)
        for status in statuses - {"200", "201", "202", "204", "304"}:
            body = operation["responses"][status]["content"]["application/json"]["schema"]
            assert body["$ref"].rsplit("/", 1)[-1] in {"ErrorOutput", "ReviewExistsErrorOutput"}
        assert "Retry-After" in operation["responses"]["429"]["headers"], (method, path)


def test_operation_ids_are_unique_readable_and_tags_name_resources(schema):
    ids = [operation["operationId"] for _, _, operation in _operations(schema)]
    assert len(ids) == len(set(ids))
    assert not [i for i in ids if i.startswith("v1_")]
    tags = {tag for _, _, operation in _operations(schema) for tag in operation["tags"]}
    assert "v1" not in tags
    assert {"models", "reviews", "me", "moderation", "providers"} <= tags


def test_every_list_has_one_pagination_and_one_ordering_idiom(schema):
    for path, _, operation in _operations(schema):
        content = operation["responses"].get("200", {}).get("content", {})
        ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
        if "/Paginated" not in ref:
            continue
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        assert {"cursor", "page_size"} <= names, path
        assert not names & {"page", "order", "offset", "limit"}, path
        page = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        assert page["required"] == ["count", "next", "previous", "results"], path


def test_no_untyped_blank_enum(schema):
    blank = schema["components"]["schemas"].get("BlankEnum")
    assert blank is None or blank["type"] == "string"


@pytest.fixture
def ai_model(db: None) -> Any:
    return AIModelFactory(slug="openai/o4-mini", provider=ProviderFactory(slug="openai"))


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/api/v1/models/", {"min_intelligence": "9"}),
        ("/api/v1/models/", {"page": "2"}),
        ("/api/v1/providers/", {"search": "x"}),
        ("REVIEWS", {"search": "x"}),
        ("REVIEWS", {"order": "newest"}),
        ("REVIEWS", {"page": "2"}),
        ("/api/v1/ratings/methodology/", {"x": "1"}),
    ],
)
def test_unknown_query_parameters_are_400_naming_them(ai_model, url, query):
    url = reviews_url(ai_model) if url == "REVIEWS" else url
    response = Client().get(url, query)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unknown_parameter"
    assert list(body["fields"]) == list(query)


def test_unknown_query_parameters_on_signed_in_routes_too(db):
    response = token_client(make_user()).get("/api/v1/me/reviews/", {"modle": "x"})
    assert (response.status_code, response.json()["code"]) == (400, "unknown_parameter")
    assert list(response.json()["fields"]) == ["modle"]


@pytest.mark.parametrize(
    ("url", "query"),
    [("/api/v1/models/", "provider=openai&provider=google"), ("REVIEWS", "stars=4&stars=5")],
)
def test_repeated_parameters_are_400_naming_them(ai_model, url, query):
    url = reviews_url(ai_model) if url == "REVIEWS" else url
    response = Client().get(f"{url}?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "repeated_parameter"
    assert list(response.json()["fields"]) == [query.split("=")[0]]


def test_known_parameters_still_pass(ai_model):
    assert Client().get("/api/v1/models/", {"provider": "openai", "page_size": 1}).status_code
    response = Client().get(reviews_url(ai_model), {"ordering": "-stars", "page_size": 5})
    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}


@pytest.mark.parametrize(
    ("body", "unknown"),
    [
        ({"sub_ratings": {"qualty": 4}}, ["sub_ratings.qualty"]),
        ({"usage": {"channel": "api", "month": 3}}, ["usage.month"]),
        ({"ratng": 5}, ["ratng"]),
    ],
)
def test_unknown_body_fields_are_400_with_dotted_paths(ai_model, body, unknown):
    client = token_client(make_user())
    response = client.post(reviews_url(ai_model), review_payload(**body), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_field"
    assert list(response.json()["fields"]) == unknown


@pytest.mark.parametrize(
    ("url", "method", "body"),
    [
        ("/api/v1/me/", "patch", {"display_name": "Ann", "is_staff": True}),
        ("/api/v1/me/", "delete", {"password": "x", "confirm": True}),
    ],
)
def test_unknown_fields_in_profile_bodies_too(db, url, method, body):
    response = getattr(token_client(make_user()), method)(url, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_field"


def test_unknown_fields_in_moderation_bodies_too(db, ai_model):
    from accounts.services import moderator_grant

    moderator = make_user()
    moderator_grant(user=moderator)
    response = token_client(moderator).post(
        "/api/v1/moderation/reviews/00000000-0000-0000-0000-000000000000/verify/",
        {"revision": 1, "status": "published"},
        format="json",
    )
    assert response.status_code == 400
    assert (response.json()["code"], list(response.json()["fields"])) == (
        "unknown_field",
        ["status"],
    )


def test_nested_validation_errors_are_one_flat_dotted_map(ai_model):
    client = token_client(make_user())
    payload = review_payload(sub_ratings={"quality": 9}, use_cases=["chat", "poetry"])
    response = client.post(reviews_url(ai_model), payload, format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {"sub_ratings.quality", "use_cases.1"}
    assert all(isinstance(v, list) and all(isinstance(s, str) for s in v) for v in fields.values())


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/reviews/not-a-uuid/", 404),
        ("/api/v1/nothing-here/", 404),
        ("/api/v1/models/openai/nope/", 404),
    ],
)
def test_path_errors_are_json_with_the_one_body(ai_model, url, status):
    response = Client().get(url)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) >= {"code", "message"}


def test_method_not_allowed_is_json(ai_model):
    response = Client().put("/api/v1/models/", "{}", content_type="application/json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_unknown_fields_walks_the_schema():
    components = {
        "Inner": {"type": "object", "properties": {"a": {"type": "integer"}}},
        "Outer": {
            "type": "object",
            "properties": {
                "inner": {"allOf": [{"$ref": "#/components/schemas/Inner"}]},
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Inner"}},
                "free": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
    }
    body = {"inner": {"a": 1, "b": 2}, "items": [{"a": 1}, {"c": 3}], "free": {"x": "y"}, "z": 0}
    found = strict.unknown_fields(body, {"$ref": "#/components/schemas/Outer"}, components)
    assert found == ["inner.b", "items.1.c", "z"]


def test_options_is_405_not_a_500_for_a_signed_in_writer(ai_model):
    # schemathesis found it: DRF's metadata described the POST serializer of a view that
    # chooses its serializer per method, and failed
    response = token_client(make_user()).options(reviews_url(ai_model))
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_cors_preflight_still_answers(ai_model, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example"]
    response = Client().options(
        reviews_url(ai_model),
        HTTP_ORIGIN="https://app.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://app.example"


def test_every_api_route_is_an_operation_strict_input_knows(db):
    # a route missing from the schema would escape config.strict: none may
    from django.urls import get_resolver
    from django.urls.resolvers import URLPattern, URLResolver

    def routes(patterns: list, prefix: str = "") -> list[str]:
        found = []
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                found += routes(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                found.append(route)
        return found

    api = [r for r in routes(get_resolver().url_patterns) if r.startswith("api/v1/")]
    documented = {path for path, _ in strict.operations()}
    assert api
    assert [r for r in api if strict._template(r) not in documented] == []
