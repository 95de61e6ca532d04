"""The editors' admin: pages load, and an editor's change survives the next import."""

import datetime as dt

import pytest
from django.urls import reverse

from models_catalog.models import AIModel, Source
from models_catalog.services import model_import, provider_get_or_create
from tests.factories import AIModelFactory, PriceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_admin_model_changelist_loads_with_bounded_queries(
    editor_client, django_assert_max_num_queries
):
    # given a catalog of a few priced models
    for _ in range(5):
        PriceFactory()
    # when an editor opens the list; then it renders without a query per row
    with django_assert_max_num_queries(12):
        response = editor_client.get(reverse("admin:models_catalog_aimodel_changelist"))
    assert response.status_code == 200


def test_admin_model_change_page_loads(editor_client):
    price = PriceFactory()
    url = reverse("admin:models_catalog_aimodel_change", args=[price.model.pk])
    assert editor_client.get(url).status_code == 200


def test_admin_editor_change_survives_reimport(editor_client):
    # given a model imported from OpenRouter
    provider, _ = provider_get_or_create(slug="acme", name="Acme")
    as_of = dt.date(2026, 8, 19)
    model, _ = model_import(
        slug="acme/m1", provider=provider, attributes={"name": "M1", "context_window": 1000},
        source=Source.OPENROUTER, as_of=as_of,
    )  # fmt: skip
    # when an editor corrects the context window and verifies the listing in the admin
    url = reverse("admin:models_catalog_aimodel_change", args=[model.pk])
    form = editor_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "supported_parameters"}
    data.update({
        "slug": model.slug, "name": "M1", "provider": provider.pk, "context_window": 2000,
        "listing_verified": "on", "lifecycle": "active", "supported_parameters": "[]",
        "input_modalities": [], "output_modalities": [],
    })  # fmt: skip
    for prefix in ("best_for", "editorial_points", "faq", "prices", "routes", "metric_values"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = editor_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    # and the same source imports its old value again
    model_import(
        slug="acme/m1", provider=provider, attributes={"context_window": 1000},
        source=Source.OPENROUTER, as_of=dt.date(2026, 9, 1),
    )  # fmt: skip
    # then the editor's value stands, marked as the editor's
    model = AIModel.objects.get(slug="acme/m1")
    assert model.context_window == 2000
    assert model.listing_verified is True
    assert model.provenance["context_window"]["source"] == Source.EDITOR


def test_admin_requires_staff(client):
    client.force_login(UserFactory())
    response = client.get(reverse("admin:models_catalog_aimodel_changelist"))
    assert response.status_code == 302  # to the admin login


def test_factories_build_priced_model():
    model = AIModelFactory()
    PriceFactory(model=model)
    model.refresh_from_db()
    assert model.current_price is not None


def test_admin_save_invalidates_the_pre_rendered_pages(editor_client, api_client):
    # given a model page served from the cache
    model = AIModelFactory()
    detail = f"/api/v1/models/{model.slug}/"
    assert api_client.get(detail).json()["provider"]["name"] != "Renamed Provider"
    # when an editor renames its provider in the admin (saved by the admin, not a service)
    provider = model.provider
    url = reverse("admin:models_catalog_provider_change", args=[provider.pk])
    data = {
        "slug": provider.slug, "name": "Renamed Provider", "website": "", "description": "",
        "support_url": "", "support_email": "", "links": "[]",
        # the domains inline (the membership domain rule): an empty formset
        "domains-TOTAL_FORMS": "0", "domains-INITIAL_FORMS": "0",
    }  # fmt: skip
    response = editor_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    # then the next read of the page shows it
    assert api_client.get(detail).json()["provider"]["name"] == "Renamed Provider"
