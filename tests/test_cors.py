"""CORS (issue 15, item 8): only origins listed in the environment, credentials only for
them, and the response headers a frontend reads exposed."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_DIR

APP = "https://app.example.org"
pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]


def test_a_listed_origin_gets_credentials_and_the_exposed_headers(listed, api_client):
    response = api_client.get("/api/v1/models/", HTTP_ORIGIN=APP)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert response["Access-Control-Allow-Credentials"] == "true"
    exposed = {
        name.strip().lower() for name in response["Access-Control-Expose-Headers"].split(",")
    }
    assert {"etag", "location", "retry-after", "last-modified"} <= exposed


def test_an_unlisted_origin_gets_no_cors_header(listed, api_client):
    response = api_client.get("/api/v1/models/", HTTP_ORIGIN="https://evil.example.com")
    assert response.status_code == 200
    assert not [h for h in response.headers if h.lower().startswith("access-control-")]


def test_no_origin_is_allowed_by_default(api_client):
    response = api_client.get("/api/v1/models/", HTTP_ORIGIN=APP)
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize(
    "path", ["/api/v1/models/openai/o4-mini/reviews/", "/_allauth/app/v1/auth/login"]
)
def test_preflight_allows_the_session_token_header(listed, api_client, path):
    response = api_client.options(
        path,
        HTTP_ORIGIN=APP,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, x-session-token",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    allowed = {name.strip() for name in response["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "x-session-token"} <= allowed


def test_cors_stays_off_outside_the_api(listed, api_client):
    response = api_client.get("/healthz", HTTP_ORIGIN=APP)
    assert "Access-Control-Allow-Origin" not in response


def _settings(module: str, **env: str) -> dict:
    names = ["CORS_ALLOWED_ORIGINS", "CSRF_TRUSTED_ORIGINS"]
    script = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: list(getattr(settings, n)) for n in {names!r}}}))"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CORS_", "CSRF_"))}
    environment.update(DJANGO_SETTINGS_MODULE=module, **env)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=PROJECT_DIR, env=environment,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout)


def test_origins_come_from_the_environment_and_are_trusted_for_csrf():
    assert _settings("config.settings.local") == {
        "CORS_ALLOWED_ORIGINS": [], "CSRF_TRUSTED_ORIGINS": [],
    }  # fmt: skip
    origins = f"{APP},http://localhost:5173"
    production = _settings(
        "config.settings.production", CORS_ALLOWED_ORIGINS=origins, SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="api.example.org", DATABASE_URL="postgres://u@127.0.0.1:5432/x",
    )  # fmt: skip
    assert production["CORS_ALLOWED_ORIGINS"] == [APP, "http://localhost:5173"]
    assert production["CSRF_TRUSTED_ORIGINS"] == [APP, "http://localhost:5173"]
