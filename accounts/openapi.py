"""allauth's headless API in our OpenAPI schema, so one generated client covers sign-up to
the first review.

allauth ships its own specification (served at /_allauth/openapi.json with
HEADLESS_SERVE_SPECIFICATION); a drf-spectacular postprocessing hook adds its paths and
components to ours. Only the flows this service offers are merged: no phone numbers, no
login or reauthentication by mailed code, no JWT token refresh (see the README, "Flows a
frontend handles").
"""

from typing import Any

from allauth.headless.spec.internal.schema import get_schema
from django.core.exceptions import ImproperlyConfigured

# Path fragments of allauth routes whose flows are switched off here.
NOT_OFFERED = ("/phone", "/reauthenticate/code/", "/auth/code/", "/tokens/")
ALLAUTH_SPEC_URL = "/_allauth/openapi.json"


HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _operation_id(path: str, method: str) -> str:
    """A readable, unique id for an allauth operation (allauth's spec has none):
    `/_allauth/{client}/v1/auth/email/verify` POST -> `allauth_auth_email_verify_post`."""
    words = [part for part in path.split("/v1/", 1)[-1].replace("-", "_").split("/") if part]
    return "_".join(["allauth", *words, method])


def allauth_paths(spec: dict[str, Any]) -> dict[str, Any]:
    """allauth's paths of the flows we offer, each operation with an `operationId`."""
    paths = {
        path: item
        for path, item in spec["paths"].items()
        if not any(fragment in path for fragment in NOT_OFFERED)
    }
    for path, item in paths.items():
        for method in HTTP_METHODS:
            if method in item:
                item[method].setdefault("operationId", _operation_id(path, method))
    return paths


def merge_allauth_spec(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: add allauth's offered paths, their components and tags to our
    schema. A component name both define is a startup error, never a silent overwrite."""
    spec = get_schema()
    result["paths"].update(allauth_paths(spec))
    components = result.setdefault("components", {})
    for section, items in spec.get("components", {}).items():
        ours = components.setdefault(section, {})
        clash = sorted(set(ours) & set(items))
        if clash:
            raise ImproperlyConfigured(f"allauth's OpenAPI {section} clash with ours: {clash}")
        ours.update(items)
    result["tags"] = [*result.get("tags", []), *spec.get("tags", [])]
    return result
