"""Shared fixtures. Persona fixtures live here so every app's tests speak the same language."""

from pathlib import Path

import pytest
from rest_framework.test import APIClient

PROJECT_DIR = Path(__file__).resolve().parent.parent
# Real public snapshots beside the project (read-only); tests that need them skip nothing:
# they fail with a clear message if the folder is missing.
SHARED_DATA_DIR = PROJECT_DIR.parent / "shared" / "data"
# The copy the project ships for `make run`.
SHIPPED_DATA_DIR = PROJECT_DIR / "data"


@pytest.fixture
def api_client() -> APIClient:
    """An anonymous client."""
    return APIClient()


@pytest.fixture
def shared_data() -> Path:
    assert SHARED_DATA_DIR.is_dir(), f"{SHARED_DATA_DIR} is missing: the import tests read it"
    return SHARED_DATA_DIR


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Throttle counters and cached reads live in the shared Redis cache: start each test clean."""
    from django.core.cache import cache

    cache.clear()
