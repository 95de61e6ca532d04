"""The read step's paths answer on the bench's URLconf (what `make bench-smoke` loads with
wrk), checked in process: every document endpoint, the cold page and the profiles."""

from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings

from bench import read
from tests.factories import AIModelFactory, PriceFactory, ReviewFactory

pytestmark = pytest.mark.django_db


@override_settings(ROOT_URLCONF="bench.urls")
def test_read_step_paths_answer_200_in_process(client: Any) -> None:
    slug = "acme/model-1"
    model = AIModelFactory(slug=slug, inputs=["text", "image"])  # in the multimodal chart
    for other in (model, AIModelFactory(slug="acme/model-2"), AIModelFactory(slug="acme/model-3")):
        PriceFactory(model=other, input_per_mtok=Decimal("1"), output_per_mtok=Decimal("2"))
    ReviewFactory(model=model, published=True)
    profiles = read.profile_endpoints(slug, 200, repeat=1)
    assert {"detail", "detail_cold", "list", "ranks", "reviews", "page"} <= set(profiles)
    assert {"chart", "compare", "prices"} <= set(profiles)
    base = f"/api/v1/models/{read.model_path(slug)}/"
    compare = read.compare_path(slug, client.get(read.LIST_FIRST).content)
    assert compare.count(",") == 2  # three models
    paths = [f"{base}cost/?input_tokens=1000000&output_tokens=1000000", base, read.CHART, compare]
    for path in [*paths, f"{base}prices/"]:
        assert client.get(path).status_code == 200, path
    cold = client.get(f"/bench/cold/{read.model_path(slug)}/")
    assert cold.status_code == 200
    assert cold.json()["slug"] == slug
