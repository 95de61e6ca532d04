"""SSRF: under production settings an endpoint must be HTTPS and resolve to public addresses
only; checked when registered and again at every delivery."""

import ast

import pytest

from config.exceptions import ApplicationError
from tests.conftest import PROJECT_DIR
from tests.factories import AIModelFactory
from tests.webhooks.conftest import fan_out, published_review, subscribe
from webhooks import net
from webhooks.exceptions import WebhookUrlRefused
from webhooks.services import webhook_delivery_attempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    settings.WEBHOOK_REQUIRE_HTTPS = True
    return settings


def test_production_settings_fix_the_guard_on():
    tree = ast.parse((PROJECT_DIR / "config/settings/production.py").read_text())
    values = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert values["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] is False
    assert values["WEBHOOK_REQUIRE_HTTPS"] is True


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:8443/hook",
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://172.16.5.4/hook",
        "https://100.64.0.1/hook",  # shared address space
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[fd00:ec2::254]/hook",  # AWS metadata over IPv6 (unique local)
        "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
        "https://localhost/hook",  # a name resolving to loopback
        "https://user:pw@example.org/hook",
        "https://no-such-host.invalid/hook",
    ],
)
def test_a_url_reaching_inside_is_refused_under_production_settings(production, url):
    with pytest.raises(WebhookUrlRefused) as refused:
        subscribe(url, ["review.published"])
    assert refused.value.code == "webhook_url_refused"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://169.254.169.254/"])
def test_plain_http_and_inside_addresses_are_refused_under_production_settings(production, url):
    with pytest.raises(ApplicationError):
        subscribe(url, ["review.published"])


def test_a_public_https_address_passes_the_check(production):
    # A literal public address: no DNS needed on the test machine.
    target = net.url_check("https://93.184.215.14:8443/in?x=1")
    assert (target.address, target.port, target.path) == ("93.184.215.14", 8443, "/in?x=1")


def test_the_url_is_checked_again_at_delivery(receiver, settings):
    # given a subscription registered while loopback was allowed
    subscribe(receiver.url, ["review.published"])
    published_review(AIModelFactory())
    [delivery] = fan_out()
    # when the guard is on at delivery time (or DNS now answers an inside address)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    assert webhook_delivery_attempt(delivery.pk) == "pending"
    # then nothing reached the receiver, and the refusal is on the row
    assert receiver.received == []
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("refused: the host resolves to a non-public address")


def test_the_api_refuses_an_inside_url_with_its_code(production, webhook_client):
    response = webhook_client.post(
        "/api/v1/webhooks/subscriptions/",
        {"url": "https://169.254.169.254/", "event_types": ["review.published"]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "webhook_url_refused"
    assert "url" in response.json()["fields"]
