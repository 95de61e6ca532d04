"""The subscription owner's API: register (secret once), list deliveries, ping, redeliver."""

import pytest

from tests.conftest import make_user, token_client
from tests.factories import AIModelFactory
from tests.references import provider_ref, ref_of
from tests.webhooks.conftest import fan_out, integrator, published_review
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_delivery_attempt
from webhooks.signing import signature_valid

pytestmark = pytest.mark.django_db
URL = "/api/v1/webhooks/subscriptions/"


def test_an_account_without_the_permission_may_not_subscribe(verified):
    response = verified.client.post(URL, {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "webhooks_not_allowed"


def test_a_subscription_is_registered_and_its_secret_shown_once(webhook_client, receiver):
    # given an integrator, when they register an endpoint for one model
    model = AIModelFactory()
    response = webhook_client.post(
        URL,
        {
            "url": receiver.url,
            "event_types": ["review.published"],
            "models": [model.slug],
            "provider": model.provider.slug,
        },
        format="json",
    )
    # then the answer carries the secret, and later reads never do
    assert response.status_code == 201, response.content
    created = response.json()
    assert response["Location"].endswith(f"{URL}{created['id']}/")
    assert created["secret"].startswith("whsec_")
    assert created["models"] == [ref_of(model)] and created["is_active"] is True
    # the provider filter, written as a slug, reads as the provider's reference object
    assert created["provider"] == provider_ref(model.provider.slug, model.provider.name)
    detail = webhook_client.get(f"{URL}{created['id']}/").json()
    assert "secret" not in detail
    assert [s["id"] for s in webhook_client.get(URL).json()["results"]] == [created["id"]]


def test_an_unknown_event_type_is_a_400(webhook_client, receiver):
    response = webhook_client.post(
        URL, {"url": receiver.url, "event_types": ["nope"]}, format="json"
    )
    assert response.status_code == 400


def test_ping_deliveries_list_and_redeliver(webhook_client, receiver):
    created = webhook_client.post(
        URL, {"url": receiver.url, "event_types": ["review.published"]}, format="json"
    ).json()
    # when the owner pings the endpoint
    ping = webhook_client.post(f"{URL}{created['id']}/ping/")
    assert ping.status_code == 202
    assert webhook_delivery_attempt(ping.json()["id"]) == "delivered"
    [got] = receiver.received
    assert signature_valid(created["secret"], got.headers, got.body)
    assert b'"type":"ping"' in got.body

    # then the deliveries list shows it with its status and attempts
    listed = webhook_client.get(f"{URL}{created['id']}/deliveries/").json()["results"]
    assert [(d["event_type"], d["state"], d["attempts"], d["last_status"]) for d in listed] == [
        ("ping", "delivered", 1, 200)
    ]
    # and a redelivery sends the same event again
    again = webhook_client.post(f"/api/v1/webhooks/deliveries/{listed[0]['id']}/redeliver/")
    assert again.status_code == 202 and again.json()["state"] == "pending"
    assert webhook_delivery_attempt(listed[0]["id"]) == "delivered"
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert len(receiver.received) == 2


def test_an_owner_sees_only_their_own_subscriptions_and_deliveries(webhook_client, receiver):
    other = token_client(integrator())
    created = other.post(
        URL, {"url": receiver.url, "event_types": ["review.published"]}, format="json"
    ).json()
    published_review(AIModelFactory())
    [delivery] = fan_out()
    assert webhook_client.get(f"{URL}{created['id']}/").status_code == 404
    assert webhook_client.get(f"{URL}{created['id']}/deliveries/").status_code == 404
    redeliver = webhook_client.post(f"/api/v1/webhooks/deliveries/{delivery.pk}/redeliver/")
    assert redeliver.json()["code"] == "webhook_delivery_not_found"
    assert webhook_client.delete(f"{URL}{created['id']}/").status_code == 404
    assert other.delete(f"{URL}{created['id']}/").status_code == 204
    assert not WebhookDelivery.objects.exists()


def test_a_superuser_may_manage_subscriptions(receiver):
    client = token_client(make_user(is_staff=True, is_superuser=True))
    response = client.post(
        URL, {"url": receiver.url, "event_types": ["rating.changed"]}, format="json"
    )
    assert response.status_code == 201
