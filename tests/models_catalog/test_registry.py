"""The catalog reads what other apps store through `models_catalog.registry` only."""

from pathlib import Path

import models_catalog
from models_catalog import registry


def test_catalog_never_names_another_apps_fields() -> None:
    # given every module of the catalog app
    sources = Path(models_catalog.__file__).parent.rglob("*.py")
    # then none reaches into the reviews app's rating summary by a lookup string
    offenders = [str(path) for path in sources if "rating__" in path.read_text()]
    assert offenders == []


def test_reviews_registers_its_rating_measures_and_brief() -> None:
    ordering = [m.key for m in registry.measure_list(ordering=True)]
    ranked = [m.key for m in registry.measure_list(ranked=True)]
    assert ordering == ["bayesian_average", "lower_bound", "review_count"]
    assert ranked == ["bayesian_average", "lower_bound"]
    assert [brief.field for brief in registry.brief_list()] == ["rating"]
