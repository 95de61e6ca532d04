"""What higher apps tell the catalog, filled in their `AppConfig.ready()`.

The catalog never imports them (imports run reviews -> models_catalog -> accounts); where a
model page shows something another app owns, it asks here.
"""

from collections.abc import Callable
from dataclasses import dataclass

from models_catalog.models import AIModel


@dataclass(frozen=True)
class ModelVersion:
    """One version of a model as its page lists it."""

    slug: str  # the canonical spelling, e.g. openai/o4-mini-2025-04-16
    current: bool  # the catalog's canonical version today
    review_count: int


VersionLister = Callable[[AIModel], list[ModelVersion]]
_version_lister: list[VersionLister] = []


def model_versions_register(lister: VersionLister) -> None:
    """Set the function that lists a model's versions with their review counts (the reviews
    app; one lister). It must run no query for a model from `model_detail_get`."""
    _version_lister[:] = [lister]


def model_versions(model: AIModel) -> list[ModelVersion]:
    """The model's versions, the current one first; just the current one, unreviewed, when
    no app registered a lister."""
    if _version_lister:
        return _version_lister[0](model)
    return [ModelVersion(slug=model.version_slug or model.slug, current=True, review_count=0)]
