"""The contract's consistent shapes (issue 15, item 4; README "API contract"): a model is
always named by one reference object `{slug, name, url}`; every link is absolute; every
review representation carries its own `url`; one `lifecycle` shape; every closed set is a
named enum; the response headers a client reads (ETag, Cache-Control, Last-Modified,
Location, Retry-After) are declared where they are sent. Checked in the schema and in live
answers of every representation that mentions a model."""

from typing import Any

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

from tests.factories import AIModelFactory, ModelFamilyFactory, PriceFactory, ProviderFactory
from tests.references import ORIGIN
from tests.reviews.conftest import moderation_url, review_payload, review_url, reviews_url

REFERENCE = "ModelReferenceOutput"
# Links that are not this API's: a provider's support page, an OpenAI-compatible base URL
# with placeholders, a webhook subscription's own endpoint.
EXTERNAL_LINKS = {
    ("ProviderDetailOutput", "support_url"),
    ("QuickStartOutput", "base_url"),
    ("SubscriptionOutput", "url"),
    ("SubscriptionCreatedOutput", "url"),
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _ref(prop: dict[str, Any]) -> str | None:
    """The component a property refers to, directly, through `allOf` or as array items."""
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    if prop.get("allOf"):
        return _ref(prop["allOf"][0])
    if prop.get("type") == "array":
        return _ref(prop["items"])
    return None


def _outputs(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Our response components (allauth's merged ones do not end in `Output`)."""
    return {
        name: component
        for name, component in schema["components"]["schemas"].items()
        if name.endswith("Output") and "properties" in component
    }


# --- The schema ----------------------------------------------------------------------------


def test_a_model_is_always_named_by_the_reference_object(schema):
    reference = schema["components"]["schemas"][REFERENCE]
    assert reference["required"] == ["name", "slug", "url"]
    assert reference["properties"]["url"]["format"] == "uri"
    found = []
    for name, component in _outputs(schema).items():
        for field, prop in component["properties"].items():
            if field in {"model", "models", "successor", "siblings"}:
                assert _ref(prop) == REFERENCE, (name, field, prop)
                found.append(f"{name}.{field}")
            assert field not in {"model_slug", "model_name"}, (name, field)
    # every representation that mentions a model (a sample of those the issue named)
    assert {
        "ReviewOutput.model", "ReviewOwnOutput.model", "ModerationReviewOutput.model",
        "ModerationEventOutput.model", "SurgeOutput.model", "ReportOutput.model",
        "ModelRanksOutput.model", "ModelCostOutput.model", "PriceHistoryOutput.model",
        "ChartPointOutput.model", "CompareOutput.models", "ModelPageOutput.successor",
        "ModelPageOutput.siblings", "SubscriptionOutput.models",
    } <= set(found)  # fmt: skip


PROVIDER_REFERENCE = "ProviderSummaryOutput"


def test_a_provider_is_always_named_by_its_reference_object(schema):
    components = schema["components"]["schemas"]
    assert components[PROVIDER_REFERENCE]["required"] == ["name", "slug", "url"]
    found = []
    for name, component in _outputs(schema).items():
        for field, prop in component["properties"].items():
            if field in {"provider", "affiliation"} and name != "ExportProfileOutput":
                assert _ref(prop) == PROVIDER_REFERENCE, (name, field, prop)
                found.append(f"{name}.{field}")
    assert {
        "ModelListOutput.provider", "ReplyOutput.provider", "ProviderReplyStatsOutput.provider",
        "ProviderProfileEditOutput.provider", "SubscriptionOutput.provider",
        "PublicProfileOutput.affiliation", "MeOutput.affiliation",
    } <= set(found)  # fmt: skip


def test_every_schema_reference_resolves(schema):
    # a `$ref` written by hand (accounts' affiliation) must name a real component
    components = set(schema["components"]["schemas"])

    def refs(node: Any) -> Any:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    prefix = "#/components/schemas/"
    missing = {ref for ref in refs(schema) if ref.startswith(prefix)} - {
        prefix + name for name in components
    }
    assert not missing


def test_a_reviews_stars_are_stars_and_rating_is_only_a_models_summary(schema):
    components = schema["components"]["schemas"]
    for name, component in components.items():
        rating = component.get("properties", {}).get("rating")
        assert rating is None or rating.get("type") != "integer", name
    for name in (
        "ReviewOutput", "ReviewOwnOutput", "ModerationReviewOutput", "PendingEditOutput",
        "ReviewCreateInputRequest", "PatchedReviewUpdateInputRequest",
    ):  # fmt: skip
        stars = components[name]["properties"]["stars"]
        assert stars["type"] == "integer" and "rating" not in components[name]["properties"]
    reviews = schema["paths"]["/api/v1/models/{provider}/{model}/reviews/"]["get"]
    parameters = {p["name"]: p for p in reviews["parameters"]}
    assert "stars" in parameters and "rating" not in parameters
    ordering = parameters["ordering"]["schema"]["enum"]
    assert {"-stars", "stars"} <= set(ordering) and not {"-rating", "rating"} & set(ordering)


def test_every_link_is_an_absolute_uri(schema):
    for name, component in _outputs(schema).items():
        for field, prop in component["properties"].items():
            if (field == "url" or field.endswith("_url")) and (name, field) not in EXTERNAL_LINKS:
                assert prop.get("format") == "uri", (name, field, prop)


def test_every_review_representation_has_its_url(schema):
    components = schema["components"]["schemas"]
    for name in ("ReviewOutput", "ReviewOwnOutput", "ModerationReviewOutput"):
        assert components[name]["properties"]["url"]["format"] == "uri", name
        assert "url" in components[name]["required"], name
    for name in ("ReportOutput", "ModerationEventOutput"):
        assert components[name]["properties"]["review_url"]["format"] == "uri", name


def test_lifecycle_has_one_shape_in_list_and_page(schema):
    components = schema["components"]["schemas"]
    for name in ("ModelListOutput", "ModelPageOutput"):
        assert _ref(components[name]["properties"]["lifecycle"]) == "LifecycleEnum", name
    assert _ref(components["ModelPageOutput"]["properties"]["successor"]) == REFERENCE
    assert "LifecycleOutput" not in components


def test_every_enum_is_named_for_what_it_is(schema):
    enums = {name for name in schema["components"]["schemas"] if name.endswith("Enum")}
    named = set(settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"])
    # BlankEnum / NullEnum: spectacular's "" and null beside a named enum (`oneOf`).
    assert enums - named <= {"BlankEnum", "NullEnum"}, sorted(enums - named)


def test_response_headers_are_declared_where_they_are_sent(schema):
    conditional = created = 0
    for path, item in schema["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in item.items():
            responses = operation.get("responses", {})
            if "304" in responses:
                conditional += 1
                for status in ("200", "304"):
                    headers = responses[status].get("headers", {})
                    assert {"ETag", "Cache-Control"} <= set(headers), (method, path, status)
            if "201" in responses:
                created += 1
                assert responses["201"]["headers"]["Location"]["schema"]["format"] == "uri"
            for status in ("429", "503"):
                assert "Retry-After" in responses[status]["headers"], (method, path, status)
    rating = schema["paths"]["/api/v1/models/{provider}/{model}/rating/"]["get"]
    assert "Last-Modified" in rating["responses"]["200"]["headers"]
    assert conditional >= 13 and created >= 4


# --- Live answers ----------------------------------------------------------------------------


@pytest.fixture
def page_models(db: None) -> Any:
    """A model with a price, a sibling in its family and a successor."""
    provider = ProviderFactory(slug="openai", name="OpenAI")
    family = ModelFamilyFactory(provider=provider, slug="o", name="o")
    successor = AIModelFactory(provider=provider, slug="openai/o5", name="OpenAI: o5")
    model = AIModelFactory(
        provider=provider, family=family, slug="openai/o4-mini", name="OpenAI: o4 Mini",
        successor=successor, lifecycle="deprecated",
    )  # fmt: skip
    sibling = AIModelFactory(provider=provider, family=family, slug="openai/o3", name="o3")
    for each in (model, sibling):
        PriceFactory(model=each)
    return model


def _is_reference(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"slug", "name", "url"}


def _check(body: Any, seen: list[str]) -> None:
    """Every model mention is the reference object, every link absolute (collected)."""
    if isinstance(body, dict):
        for field, value in body.items():
            if field in {"model", "successor"} and value is not None:
                assert _is_reference(value), (field, value)
            if field == "provider" and isinstance(value, dict):
                assert _is_reference(value), (field, value)  # a provider's, the same shape
            if field in {"models", "siblings"}:
                assert all(_is_reference(item) for item in value), (field, value)
            if (field == "url" or field.endswith("_url")) and isinstance(value, str):
                assert value.startswith(f"{ORIGIN}/api/v1/"), (field, value)
                seen.append(value)
            _check(value, seen)
    elif isinstance(body, list):
        for item in body:
            _check(item, seen)


def test_every_representation_names_models_by_reference_with_absolute_links(
    page_models, anonymous, verified, other_verified, moderator
):
    model = page_models
    # given a review written, verified and reported through the API
    created = verified.client.post(reviews_url(model), review_payload(), format="json")
    assert created.status_code == 201, created.json()
    review_id = created.json()["id"]
    assert created.json()["url"] == f"{ORIGIN}/api/v1/reviews/{review_id}/" == created["Location"]
    queue = moderator.client.get("/api/v1/moderation/queue/")
    verify = moderator.client.post(moderation_url(review_id, "verify"), {}, format="json")
    assert verify.status_code == 200, verify.json()
    report = other_verified.client.post(
        review_url(review_id, "reports/"), {"reason": "spam"}, format="json"
    )
    assert report.status_code == 201, report.json()
    slugs = f"{model.slug},openai/o3"
    answers = [
        created, queue, verify, report,
        anonymous.client.get(reviews_url(model)),
        anonymous.client.get(review_url(review_id)),
        anonymous.client.get(f"/api/v1/models/{model.slug}/?include=rating,ranks,reviews"),
        anonymous.client.get(f"/api/v1/models/{model.slug}/cost/?input_tokens=1000"),
        anonymous.client.get(f"/api/v1/models/{model.slug}/prices/"),
        anonymous.client.get("/api/v1/charts/?category=all&measure=input_price"),
        anonymous.client.get(f"/api/v1/compare/?models={slugs}"),
        anonymous.client.get(f"/api/v1/users/{verified.user.username}/"),
        verified.client.get("/api/v1/me/reviews/"),
        other_verified.client.get("/api/v1/me/reports/"),
        moderator.client.get("/api/v1/moderation/events/"),
    ]  # fmt: skip
    seen: list[str] = []
    for answer in answers:
        assert answer.status_code in (200, 201), (answer.request["PATH_INFO"], answer.json())
        _check(answer.json(), seen)
    # then each representation carried references and links, and each link answers
    bodies = [answer.json() for answer in answers]
    assert bodies[4]["results"][0]["model"]["url"] == f"{ORIGIN}/api/v1/models/{model.slug}/"
    assert bodies[6]["successor"]["slug"] == "openai/o5" and bodies[6]["lifecycle"] == "deprecated"
    assert bodies[6]["included"]["ranks"]["model"]["slug"] == model.slug
    assert [p["model"]["slug"] for p in bodies[9]["points"]][:1]
    assert bodies[13]["results"][0]["review_url"] == f"{ORIGIN}/api/v1/reviews/{review_id}/"
    assert bodies[14]["results"][0]["review_url"] == f"{ORIGIN}/api/v1/reviews/{review_id}/"
    links = {link for link in seen if "/me/" not in link}
    assert {
        f"{ORIGIN}/api/v1/models/{slug}/" for slug in ("openai/o4-mini", "openai/o3", "openai/o5")
    } | {f"{ORIGIN}/api/v1/reviews/{review_id}/"} <= links
    for link in sorted(links):
        assert anonymous.client.get(link).status_code == 200, link


def test_conditional_reads_carry_the_declared_headers(page_models, anonymous):
    for path in (
        f"/api/v1/models/{page_models.slug}/ranks/",
        f"/api/v1/models/{page_models.slug}/rating/",
        "/api/v1/charts/?category=all&measure=input_price",
    ):
        first = anonymous.client.get(path)
        assert {"ETag", "Cache-Control"} <= set(first.headers), path
        again = anonymous.client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304, path
        assert (again["ETag"], again["Cache-Control"]) == (first["ETag"], first["Cache-Control"])


def test_an_old_client_sending_rating_is_told_to_send_stars(page_models, verified, anonymous):
    # a review body with the old name: refused, naming it and what to send instead
    body = {**review_payload(), "rating": 4}
    del body["stars"]
    response = verified.client.post(reviews_url(page_models), body, format="json")
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "unknown_field"
    assert error["fields"] == {"rating": ["Renamed: use `stars` instead."]}
    assert "`rating` is now `stars`" in error["message"]
    # the same for the list's filter; the ordering names the new key
    listed = anonymous.client.get(f"{reviews_url(page_models)}?rating=4")
    assert listed.status_code == 400
    assert listed.json()["fields"] == {"rating": ["Renamed: use `stars` instead."]}
    ordered = anonymous.client.get(f"{reviews_url(page_models)}?ordering=-rating")
    assert (ordered.status_code, list(ordered.json()["fields"])) == (400, ["ordering"])
    # a name nobody renamed keeps the plain refusal
    other = verified.client.post(
        reviews_url(page_models), {**review_payload(), "ratings": 4}, format="json"
    )
    assert other.json()["fields"] == {
        "ratings": ["Unknown field: not part of this operation's body."]
    }
    # and the new name is what a review carries, in and out
    created = verified.client.post(reviews_url(page_models), review_payload(stars=2), format="json")
    assert (created.status_code, created.json()["stars"]) == (201, 2)
    assert "rating" not in created.json()
