"""Staff register a subscription for an integrator in the admin; the secret is shown once."""

import pytest

from tests.conftest import make_user
from tests.factories import AIModelFactory
from webhooks.models import WebhookSubscription

pytestmark = pytest.mark.django_db
ADD = "/admin/webhooks/webhooksubscription/add/"


def _form(owner, url: str, model) -> dict:
    return {
        "owner": owner.pk, "url": url, "description": "", "event_types": '["review.published"]',
        "filter_models": [model.pk],
    }  # fmt: skip


def test_staff_add_a_subscription_and_see_its_secret_once(client, receiver):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    owner, model = make_user(), AIModelFactory()
    response = client.post(ADD, _form(owner, receiver.url, model), follow=True)
    assert response.redirect_chain, response.content.decode()[:2000]
    subscription = WebhookSubscription.objects.get()
    assert (subscription.owner, list(subscription.filter_models.all())) == (owner, [model])
    # the page after saving shows it; no later page does
    assert subscription.secret in response.content.decode()
    page = client.get(f"/admin/webhooks/webhooksubscription/{subscription.pk}/change/")
    assert subscription.secret not in page.content.decode()


def test_the_admin_refuses_an_inside_url_under_production_settings(client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    settings.WEBHOOK_REQUIRE_HTTPS = True
    client.force_login(make_user(is_staff=True, is_superuser=True))
    response = client.post(ADD, _form(make_user(), "https://169.254.169.254/", AIModelFactory()))
    assert response.status_code == 200  # the form again, with the error
    assert "non-public address" in response.content.decode()
    assert not WebhookSubscription.objects.exists()
