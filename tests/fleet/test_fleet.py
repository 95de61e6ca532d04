"""The service as a fleet: two gunicorn instances, two workers of every pool (ratings, mail,
maintenance) and one beat, against one broker, one PostgreSQL primary and one streaming read
replica, driven by the review journey in parallel; halfway, one gunicorn instance, one ratings
worker and one mail worker are killed with SIGKILL. Afterwards: no lost write (every 2xx write
is in the database), no lost notification (every outcome mail sent, through the outbox and its
sweep), ratings exact (equal to a full recompute), public reads served by the replica, and
every author read their own review right after writing it.

The primary and the replica are the test's own (tests/postgres_pair.py: initdb, then
`pg_basebackup -R`); this process's ORM works on that primary for the test. The replica applies
each commit RECORD_DELAY after it happened (recovery_min_apply_delay): always a little behind,
as a loaded replica is, so a read of a fresh write sent to it would miss the write.

Runs on the broker of the run: Redis under `make test`, RabbitMQ under `make test-rabbitmq`.
Users are created here, verified (sign-up is tested elsewhere; its password hashing would
dominate the time), and sign in with real session tokens.
"""

import functools
import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.management import call_command

from events.models import Delivery
from reviews.models import ModelRating, ModelRatingState, Review
from tests import broker
from tests.accounts.conftest import wait_for
from tests.conftest import make_user, token_client
from tests.factories import AIModelFactory
from tests.fleet.conftest import BIN, Process, fleet_env, gunicorn, mails_sent, workers
from tests.postgres_pair import (
    Cluster,
    caught_up,
    default_database,
    require_server_binaries,
    streaming_pair,
)
from tests.reviews.conftest import moderation_url, review_payload, review_url, reviews_url

pytestmark = [pytest.mark.fleet, pytest.mark.worker]
AUTHORS = 24  # each posts one review; the moderator verifies it (or rejects every 4th)
POOLS = ["worker_ratings", "worker_mail", "worker_maintenance"]
RECORD_DELAY = "2s"  # the replica's recovery_min_apply_delay
REVIEW_QUERY = 'FROM "reviews_review"'  # a review read, as the servers log it

require_server_binaries()


class Fleet:
    """The web instances the journey talks to, like a load balancer: round robin, and a
    request whose instance does not answer (connection refused or reset) goes to the next."""

    def __init__(self, bases: list[str]) -> None:
        self.bases, self._next = bases, 0
        self._lock = threading.Lock()

    def call(self, method: str, path: str, token: str, data: Any = None) -> tuple[int, Any]:
        for _ in range(len(self.bases) * 3):
            with self._lock:
                base = self.bases[self._next % len(self.bases)]
                self._next += 1
            try:
                return _request(base, method, path, token, data)
            except (ConnectionError, urllib.error.URLError, TimeoutError):
                continue  # that instance is gone: the balancer tries another
        raise AssertionError(f"no instance answered {method} {path}")


def _request(base: str, method: str, path: str, token: str, data: Any) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:  # "" is anonymous
        headers["X-Session-Token"] = token
    request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 built by the test)
        base + path, method=method.upper(),
        data=json.dumps(data).encode() if data is not None else None, headers=headers,
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _token(user: Any) -> str:
    client: Any = token_client(user)
    return client._credentials["HTTP_X_SESSION_TOKEN"]


def _journey(fleet: Fleet, author: str, model: Any, moderator: str, index: int) -> dict:
    """One author (a session token) posts a review; the moderator decides it. Returns what
    the servers said. No database access here: it runs in the journey's threads."""
    done: dict[str, Any] = {}
    status, body = fleet.call(
        "post", reviews_url(model), author, review_payload(stars=1 + index % 5)
    )
    if status == 409 and isinstance(body, dict) and body.get("code") == "review_exists":
        # the POST landed on the killed instance before its connection broke, and the
        # balancer's retry found it there: the author's review exists (not decided: the
        # client never learnt it was created). An orphaned worker of the killed master can
        # do this to a thread more than once.
        done["landed"] = body["existing_review"]
        return done
    if status != 201:
        done["refused"] = (status, body)
        return done
    done["review"] = body["id"]
    # the author reads the review back at once: from the primary (the write pinned the
    # token there), since the replica has not applied it yet
    status, own = fleet.call("get", review_url(body["id"]), author)
    done["read_own"] = status == 200 and isinstance(own, dict) and own["id"] == body["id"]
    action = "reject" if index % 4 == 3 else "verify"
    data = {"reason": "spam"} if action == "reject" else {}
    status, _ = fleet.call("post", moderation_url(body["id"], action), moderator, data)
    if 200 <= status < 300:
        done["decided"] = action
    return done


@pytest.mark.django_db(transaction=True)
def test_the_fleet_loses_nothing_when_an_instance_and_workers_are_killed(tmp_path):
    delay = f"-c recovery_min_apply_delay={RECORD_DELAY}"
    with (
        streaming_pair(replica_options=delay) as (primary, replica),
        default_database(primary.url()),
    ):
        _fleet_journey(tmp_path, primary, replica)


def _fleet_journey(tmp_path: Any, primary: Cluster, replica: Cluster) -> None:
    # given two web instances, two workers of every pool and one beat, on one broker, the
    # primary and its replica; sweeps every 2 s (beat), claims that lapse after 5 s; the
    # replica's health gate tolerates its constant delay (the gate is
    # tests/faults/test_replica.py's subject)
    env = fleet_env(
        tmp_path, SWEEP_SECONDS="2", REPLICA_DATABASE_URL=replica.url(),
        REPLICA_MAX_LAG_SECONDS="600", REPLICA_CHECK_SECONDS="0.5",
    )  # fmt: skip
    broker.purge("ratings", "mail", "maintenance", "webhooks", "default")
    from accounts.services import moderator_grant

    moderator = make_user()
    moderator_grant(user=moderator)
    models = [AIModelFactory() for _ in range(3)]
    authors = [_token(make_user()) for _ in range(AUTHORS)]
    caught_up(primary, replica)  # the sessions and models are on the replica too
    webs = [gunicorn(env, tmp_path, index) for index in range(2)]
    beat_command = [
        str(BIN / "celery"), "-A", "config", "beat", "--loglevel", "INFO",
        "--schedule", str(tmp_path / "celerybeat-schedule"),
    ]  # fmt: skip
    beat = Process("beat", beat_command, env, tmp_path / "beat.log")
    try:
        with workers(POOLS, env, tmp_path, each=2, concurrency=1) as pools:
            fleet = Fleet([base for _, base in webs])
            for _process, base in webs:
                wait_for(functools.partial(_answers, base), timeout=60)
            token = _token(moderator)
            started = time.monotonic()

            # when the journey runs in parallel, and halfway one web instance, one ratings
            # worker and one mail worker die (SIGKILL: no warm shutdown, no acknowledgement)
            with ThreadPoolExecutor(max_workers=6) as pool:
                futures = [
                    pool.submit(_journey, fleet, author, models[i % 3], token, i)
                    for i, author in enumerate(authors)
                ]
                wait_for(lambda: sum(f.done() for f in futures) >= AUTHORS // 2, timeout=60)
                webs[0][0].kill()
                pools["worker_ratings"][0].kill()
                pools["worker_mail"][0].kill()
                results = [future.result() for future in futures]

            # then every write the servers accepted (2xx) is stored, as they said; a request
            # cut off with the killed instance may or may not have landed (the balancer's retry
            # then finds it done), but most of the journey went through the survivor
            accepted = [r for r in results if "review" in r]
            # every POST either answered 201 or, cut off with the killed instance after it
            # landed, is found by the retry (409 naming it); nothing else is refused
            refused = [r["refused"] for r in results if "refused" in r]
            assert not refused, refused
            landed = [r["landed"] for r in results if "landed" in r]
            assert len(accepted) + len(landed) == AUTHORS
            assert len(accepted) >= AUTHORS // 2
            stored = {str(r.public_id): r.status for r in Review.objects.all()}
            assert all(review_id in stored for review_id in landed)
            for result in accepted:
                assert result["review"] in stored
                assert result["read_own"], result  # read-your-writes, through the fleet
                if "decided" in result:
                    expected = {"verify": "published", "reject": "rejected"}[result["decided"]]
                    assert stored[result["review"]] == expected

            # and every decision stored has its outcome mail sent (the outbox, its sweep, the
            # surviving workers), including the ones the killed mail worker was sending
            decided = Review.objects.filter(status__in=["published", "rejected"])
            assert decided.count() >= len([r for r in accepted if "decided" in r])
            wait_for(lambda: _all_delivered(decided.count()), timeout=60)
            sent = "".join(mails_sent(tmp_path))
            assert all(review.author.email in sent for review in decided.select_related("author"))

            # and every rating equals a full recompute (stale marks swept after the kills)
            wait_for(lambda: not ModelRatingState.objects.filter(stale=True).exists(), 60)
            call_command("recompute_ratings", "--check")
            published = Review.objects.filter(status="published").count()
            assert sum(row.review_count for row in ModelRating.objects.all()) == published

            # and the public reads of the survivor come from the replica, which by now has
            # every review and rating of the primary
            caught_up(primary, replica)
            on_replica = replica.logged(REVIEW_QUERY)
            _public_reads_match(fleet, models)
            replica_reads = replica.logged(REVIEW_QUERY) - on_replica
            assert replica_reads >= published, (replica_reads, published)
            elapsed = time.monotonic() - started
            print(
                f"\nfleet: {decided.count()} decisions, all mailed and counted, {elapsed:.0f} s;"
                f" {replica_reads} review reads on the replica at the end"
            )
    finally:
        beat.stop()
        for process, _ in webs:
            process.stop()


def _public_reads_match(fleet: Fleet, models: list[Any]) -> None:
    """Anonymous reads of every published review and every model's rating answer what the
    primary holds."""
    for review in Review.objects.filter(status="published"):
        status, body = fleet.call("get", review_url(review.public_id), "")
        assert (status, body["id"]) == (200, str(review.public_id)), body
    for model in models:
        status, body = fleet.call("get", f"/api/v1/models/{model.slug}/rating/", "")
        assert status == 200, body
        assert body["review_count"] == ModelRating.objects.get(pk=model.pk).review_count


def _answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:  # noqa: S310
            return answer.status == 200
    except OSError:
        return False


def _all_delivered(count: int) -> bool:
    deliveries = Delivery.objects.filter(consumer="review_outcome_mail")
    return (
        deliveries.count() == count
        and not deliveries.exclude(state=Delivery.State.DELIVERED).exists()
    )
