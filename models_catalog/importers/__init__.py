"""Catalog importers, one per source, registered by the name `import_catalog --source` takes.

OpenRouter creates the catalog; the others only enrich models it already has, so import
OpenRouter first (`load_shipped_catalog` follows `data/catalog/manifest.json` in order).
"""

from models_catalog.importers.artificial_analysis import ArtificialAnalysisImporter
from models_catalog.importers.base import Importer
from models_catalog.importers.litellm import LiteLLMImporter
from models_catalog.importers.lmarena import LMArenaImporter
from models_catalog.importers.models_dev import ModelsDevImporter
from models_catalog.importers.openrouter import OpenRouterImporter

IMPORTERS: dict[str, type[Importer]] = {
    "openrouter": OpenRouterImporter,
    "litellm": LiteLLMImporter,
    "models_dev": ModelsDevImporter,
    "lmarena": LMArenaImporter,
    "artificial_analysis": ArtificialAnalysisImporter,
}


def importer_for(source: str, **options: str) -> Importer:
    """A fresh importer for `source`; `ValueError` for an unknown source or option."""
    if source not in IMPORTERS:
        raise ValueError(f"unknown source {source!r}; choose one of {', '.join(IMPORTERS)}")
    if options and source != "lmarena":
        raise ValueError(f"--{'/--'.join(options)} applies to --source lmarena only")
    return IMPORTERS[source](**options)
