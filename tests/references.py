"""The model reference object every representation names a model with (issue 15), as the
test client sees it: `{slug, name, url}` with the absolute URL on the test server."""

from typing import Any

ORIGIN = "http://testserver"


def model_ref(slug: str, name: str) -> dict[str, str]:
    return {"slug": slug, "name": name, "url": f"{ORIGIN}/api/v1/models/{slug}/"}


def ref_of(model: Any) -> dict[str, str]:
    """The reference of an `AIModel` row."""
    return model_ref(model.slug, model.name)
