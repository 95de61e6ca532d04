"""The mixed load's pieces (bench/mixed.py) in process: its mix, its pools, and each kind of
request the wrk script sends, answered as it should be (a real write, not a 4xx)."""

import json
from typing import Any

import pytest
from django.test import Client, override_settings

from bench import mixed
from tests.factories import AIModelFactory, PriceFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def test_the_schedule_holds_each_kind_in_its_share_spread_out() -> None:
    slots = mixed.schedule()
    assert len(slots) == 100
    assert {kind: slots.count(kind) for kind in mixed.KINDS} == dict(mixed.MIX)
    # a 2% kind is not sent twice in a row: spread over the hundred slots
    first = slots.index("review_create")
    assert slots.index("review_create", first + 1) - first >= 25


def test_the_knee_is_the_highest_step_under_the_latency_limit() -> None:
    def step(connections: int, rps: float, p95: float) -> dict[str, Any]:
        return {"connections": connections, "rps": rps, "p95_ms": p95, "socket_errors": {},
                "requests": int(rps * 10)}  # fmt: skip

    # (a step that completed nothing shows p95 0: no knee)
    steps = [step(8, 500.0, 20.0), step(16, 900.0, 60.0), step(32, 950.0, 140.0), step(64, 0, 0)]
    data = {"writers": [], "moderators": [], "pending": [], "vote_targets": [],
            "report_targets": [], "create_models": [], "reads": {"detail": []},
            "writer_ids": [], "moderator_ids": []}  # fmt: skip
    summary = mixed._summary(steps, data, {}, 1800.0, 10.0, 2.0, 1.0)
    assert (summary["knee_connections"], summary["knee_rps"]) == (16, 900.0)
    assert summary["knee_over_floor"] == 0.5
    assert summary["knee_over_baseline"] == round(900 / 89, 2)
    slow = mixed._summary([step(8, 80.0, 150.0)], data, {}, 1800.0, 10.0, 2.0, 1.0)
    assert slow["knee_connections"] is None and slow["knee_over_baseline"] == 0.0


@override_settings(ROOT_URLCONF="bench.urls", MODERATION_REQUIRE_MFA=False)
def test_every_kind_of_request_of_the_script_is_answered_as_a_success() -> None:
    # given a catalog with published and pending reviews
    model = AIModelFactory(slug="acme/model-1")
    PriceFactory(model=model)
    published: list[Any] = [ReviewFactory(model=model, published=True) for _ in range(4)]
    pending: Any = ReviewFactory(model=AIModelFactory(slug="acme/model-2"))
    assert pending.status == "pending" and published[0].status == "published"
    data = mixed.setup(budget_requests=100)
    assert data["pending"] == [str(pending.public_id)]
    # when each kind is sent as the script formats it (address and token headers)
    writer: dict[str, Any] = {
        "HTTP_X_SESSION_TOKEN": data["writers"][0],
        "HTTP_X_FORWARDED_FOR": "198.19.0.1",
    }
    moderator: dict[str, Any] = {"HTTP_X_SESSION_TOKEN": data["moderators"][0]}
    client = Client(HTTP_HOST="127.0.0.1")
    as_json: dict[str, Any] = {"content_type": "application/json"}
    answers = {kind: client.get(paths[0]).status_code for kind, paths in data["reads"].items()}
    review_body = mixed.REVIEW_BODY % (5, 0, 0, 0, 0)
    assert len(json.loads(review_body)["body"]) >= 50
    create = client.post(data["create_models"][0], review_body, **as_json, **writer)
    target = data["vote_targets"][0]
    vote = client.put(f"/api/v1/reviews/{target}/vote/", mixed.VOTE_BODIES[1], **as_json, **writer)
    report_target = data["report_targets"][0]
    report = client.post(
        f"/api/v1/reviews/{report_target}/reports/", mixed.REPORT_BODY, **as_json, **writer
    )
    me = client.get("/api/v1/me/", **writer)
    queue = client.get("/api/v1/moderation/queue/", **moderator)
    verify = client.post(
        f"/api/v1/moderation/reviews/{data['pending'][0]}/verify/", mixed.VERIFY_BODY,
        **as_json, **moderator,
    )  # fmt: skip
    # then every read is a 200 and every write a real one
    assert answers == dict.fromkeys(data["reads"], 200)
    assert (create.status_code, vote.status_code, report.status_code) == (201, 200, 201)
    assert (me.status_code, queue.status_code, verify.status_code) == (200, 200, 200)
    pending.refresh_from_db()
    assert pending.status == "published"
    gained = mixed._rows_gained(data)
    assert gained == {"reviews": 1, "votes": 1, "reports": 1, "verifications": 1}
