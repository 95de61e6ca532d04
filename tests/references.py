"""The model reference object every representation names a model with (issue 15), as the
test client sees it: `{slug, name, url}` with the absolute URL on the test server."""

from typing import Any

ORIGIN = "http://testserver"


def model_ref(slug: str, name: str, origin: str = ORIGIN) -> dict[str, str]:
    return {"slug": slug, "name": name, "url": f"{origin}/api/v1/models/{slug}/"}


def ref_of(model: Any) -> dict[str, str]:
    """The reference of an `AIModel` row."""
    return model_ref(model.slug, model.name)


def provider_ref(slug: str, name: str, origin: str = ORIGIN) -> dict[str, str]:
    """The provider reference object, `{slug, name, url}` (the same shape as a model's)."""
    return {"slug": slug, "name": name, "url": f"{origin}/api/v1/providers/{slug}/"}
