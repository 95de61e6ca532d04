"""Hostile input never gets a 5xx: every answer under /api/ and /_allauth/ is a 4xx with a
JSON body (our error body, or allauth's own on its routes), and a 500 names its request id."""

import json
import logging

import pytest
from django.test import Client
from django.urls import path

from tests.conftest import token_client
from tests.factories import AIModelFactory
from tests.reviews.conftest import BODY, review_payload, review_url, reviews_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def ai_model(db: None) -> object:
    return AIModelFactory()


DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"email": ' + "[" * 1000 + "]" * 1000 + "}"


def _client() -> Client:
    return Client(raise_request_exception=False)


def _assert_json_4xx(response, code: str | None = None) -> dict:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    if code is not None:
        assert body["code"] == code
    return body


@pytest.mark.parametrize(
    "url",
    [
        "/_allauth/app/v1/auth/signup",
        "/_allauth/app/v1/auth/login",
        "/_allauth/browser/v1/auth/login",
        "/api/v1/me/",
    ],
)
@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT])
def test_deep_json_is_a_400_everywhere(url, body, verified):
    client = _client()
    method = client.patch if url.endswith("/me/") else client.post
    token = token_client(verified.user)._credentials["HTTP_X_SESSION_TOKEN"]
    response = method(url, body, content_type="application/json", HTTP_X_SESSION_TOKEN=token)
    _assert_json_4xx(response, "json_too_deep")


@pytest.mark.parametrize(
    "body",
    [b"\xef\xbb\xbf" + DEEP.encode(), DEEP.encode("utf-16"), DEEP.encode("utf-32-le")],
    ids=["bom", "utf-16", "utf-32"],
)
def test_deep_json_in_other_encodings_is_a_400_too(body):
    for url in ("/_allauth/app/v1/auth/login", "/_allauth/browser/v1/auth/signup"):
        response = _client().post(url, body, content_type="application/json")
        _assert_json_4xx(response, "json_too_deep")


def test_deep_json_on_review_create_and_edit(verified, ai_model):
    from reviews.services import ReviewDraft, review_create

    token = token_client(verified.user)._credentials["HTTP_X_SESSION_TOKEN"]
    client = _client()
    draft = ReviewDraft(rating=4, title="A review", body=BODY)
    review = review_create(author=verified.user, model=ai_model, draft=draft)
    edit_url = review_url(review.public_id)
    for send, url in ((client.post, reviews_url(ai_model)), (client.patch, edit_url)):
        response = send(url, DEEP, content_type="application/json", HTTP_X_SESSION_TOKEN=token)
        _assert_json_4xx(response, "json_too_deep")
    # a normal body still works
    ok = client.patch(
        review_url(review.public_id),
        json.dumps({"title": "Still fine"}),
        content_type="application/json",
        HTTP_X_SESSION_TOKEN=token,
    )
    assert ok.status_code == 200


def test_json_nested_within_bounds_reaches_the_view(verified):
    token = token_client(verified.user)._credentials["HTTP_X_SESSION_TOKEN"]
    body = json.dumps({"bio": "[[[{{ not nesting, a string }}]]]" * 20})
    response = _client().patch(
        "/api/v1/me/", body, content_type="application/json", HTTP_X_SESSION_TOKEN=token
    )
    assert response.status_code == 200


@pytest.mark.parametrize("cookie", ["abc\x00def12345", "\x00", "x\x01" * 10])
def test_nul_in_session_cookie_is_an_anonymous_session(cookie, ai_model):
    client = _client()
    client.cookies["sessionid"] = cookie
    assert client.get(f"/api/v1/models/{ai_model.slug}/").status_code == 200
    me = client.get("/api/v1/me/")
    _assert_json_4xx(me)
    assert me.status_code in (401, 403)
    assert client.get("/_allauth/browser/v1/auth/session").status_code == 401
    assert client.get("/admin/login/").status_code == 302


def test_nul_in_session_token_header_is_a_400():
    response = _client().get("/api/v1/me/", HTTP_X_SESSION_TOKEN="abc\x00def")
    _assert_json_4xx(response, "invalid_header")
    response = _client().get("/_allauth/app/v1/auth/session", HTTP_X_SESSION_TOKEN="\x00")
    _assert_json_4xx(response, "invalid_header")


@pytest.mark.parametrize(
    "url", ["/api/v1/users/%00/", "/api/v1/users/a%01b/", "/_allauth/app/v1/auth/%00"]
)
def test_nul_in_path_is_a_4xx(url):
    _assert_json_4xx(_client().get(url))


@pytest.mark.parametrize(
    "query", ["search=%00", "ordering=%00", "page_size=1%00", "%00=x", "cursor=%1F"]
)
def test_nul_in_query_is_a_400(query, ai_model):
    response = _client().get(f"{reviews_url(ai_model)}?{query}")
    assert list(_assert_json_4xx(response, "validation_error")["fields"]) == [
        query.split("=")[0].replace("%00", "\x00")
    ]
    _assert_json_4xx(_client().get(f"/api/v1/models/?{query}"), "validation_error")


def test_huge_body_is_a_413_with_our_error_body(settings, verified):
    token = token_client(verified.user)._credentials["HTTP_X_SESSION_TOKEN"]
    body = json.dumps({"bio": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    for url in ("/api/v1/me/", "/_allauth/app/v1/auth/login"):
        response = _client().post(
            url, body, content_type="application/json", HTTP_X_SESSION_TOKEN=token
        )
        assert response.status_code == 413
        assert response.json()["code"] == "request_too_large"


@pytest.mark.parametrize("url", ["/api/v1/nothing-here/", "/api/nope", "/_allauth/nope/"])
def test_unknown_route_is_a_json_404(url):
    response = _client().get(url)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unknown_route_is_a_json_404_with_debug_on(settings):
    settings.DEBUG = True
    response = _client().get("/api/v1/nothing-here/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_wrong_method_is_a_json_405(ai_model):
    _assert_json_4xx(_client().delete(f"/api/v1/models/{ai_model.slug}/"), "method_not_allowed")
    response = _client().delete("/_allauth/app/v1/auth/signup")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")


def test_bad_json_and_wrong_types_are_400(verified, ai_model):
    token = token_client(verified.user)._credentials["HTTP_X_SESSION_TOKEN"]
    client = _client()
    for body in ("{", "[1, 2]", '"x"', "null", '{"stars": "\\u0000"}', "\xff"):
        response = client.post(
            reviews_url(ai_model), body, content_type="application/json",
            HTTP_X_SESSION_TOKEN=token,
        )  # fmt: skip
        _assert_json_4xx(response)
    nul_text = json.dumps(review_payload(title="a\u0000b"))
    response = client.post(
        reviews_url(ai_model), nul_text, content_type="application/json",
        HTTP_X_SESSION_TOKEN=token,
    )  # fmt: skip
    _assert_json_4xx(response)
    for body in ("{", "[]", '{"email": "a\\u0000@example.org", "password": "x"}'):
        response = client.post(
            "/_allauth/app/v1/auth/signup", body, content_type="application/json"
        )
        _assert_json_4xx(response)


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("api/v1/boom/", _boom)]
handler500 = "config.views.server_error"  # what config.urls sets


@pytest.mark.urls("tests.test_hostile_input")
def test_a_500_is_json_with_the_request_id_that_is_logged(caplog):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = _client().get("/api/v1/boom/", HTTP_X_REQUEST_ID="trace-12345678")
    assert response.status_code == 500
    body = response.json()
    assert (body["code"], body["request_id"]) == ("server_error", "trace-12345678")
    assert response["X-Request-ID"] == "trace-12345678"
    logged = [r for r in caplog.records if getattr(r, "request_id", None) == "trace-12345678"]
    assert logged and logged[0].exc_info is not None


def test_request_id_is_generated_when_missing_or_insane():
    generated = _client().get("/healthz")["X-Request-ID"]
    assert len(generated) == 32
    insane = _client().get("/healthz", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert insane != "<script>" and len(insane) == 32
