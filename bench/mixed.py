"""Step 7: the mixed load (issue 14). One wrk script plays a site's traffic: 86% anonymous
reads of the model page's documents, 9% signed-in requests (a new review, a helpful vote, a
report, `/me/`), 5% moderation (the queue, a verification), each client from its own address
behind the trusted proxy header, so the production throttles apply (per address, per
account, and the per-account write limits of reviews, votes and reports).

The concurrency ramps (STEPS connections); each step reports its throughput, latency
percentiles and every answer by status and error code. The knee is the highest step whose
p95 stays under P95_LIMIT_MS; its throughput is compared with the floor of the same run and
with the baseline the issue measured before the pre-rendered documents (BASELINE_RPS).

Writes are real: each review is a new (account, model) pair, each vote and report a new
(account, review) pair, each verification a different pending review, so a 409 or a 429 is
a failure the table shows, never a success. The pools are sized for the run and the wrk
script carries its position across steps (offsets in, used counts out). The rows the
database gained are counted after the ramp and set beside the 2xx answers.
"""

import datetime as dt
import http.client
import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import connection

from bench import wrk
from bench.profiling import profile
from bench.progress import BenchError, say
from bench.read import model_path

# Request kinds and their share of the traffic, in percent (sum 100).
MIX: tuple[tuple[str, int], ...] = (
    ("detail", 22), ("rating", 18), ("reviews", 16), ("list", 12), ("ranks", 10), ("cost", 8),
    ("review_create", 2), ("vote", 3), ("report", 1), ("me", 3),
    ("moderation_queue", 2), ("moderation_verify", 3),
)  # fmt: skip
KINDS = tuple(kind for kind, _ in MIX)
STEPS = (8, 16, 32, 64, 128)
P95_LIMIT_MS = 100.0
BASELINE_RPS = 89.0  # issue 14: the same mix before the documents, 2-core box, 100 clients
TARGET_OVER_BASELINE = 10.0
READ_MODELS = 40  # the most reviewed models: the documents the readers ask for
WRITERS = 400  # signed-in accounts (review_create allows 10 a day each)
MODERATORS = 8  # moderators (each counted by the `user` throttle on its own)
ANON_ADDRESSES = 4096
MAX_RPS = 2000  # sizes the pools: no step of this box serves more (the floor is ~2-3k)
COST_QUERY = "?input_tokens=1000000&output_tokens=1000000"
PREFIX = "mixed"

# A new review: stars, number, account, model, number (the same in Lua's string.format).
REVIEW_BODY = (
    '{"stars": %d, "title": "Mixed load review %d", "body": "Account %d on model %d: answers '
    "were accurate for our support tickets, latency fine at peak, and the price per ticket "
    'beat what we paid before (case %d)."}'
)
VOTE_BODIES = ('{"helpful": false}', '{"helpful": true}')  # every fourth vote: not helpful
REPORT_BODY = '{"reason": "off_topic"}'
VERIFY_BODY = "{}"

_SCRIPT = r"""
local D = __DATA__
local KINDS = __KINDS__
offsets, used, statuses, codes = {}, {}, {}, {}
local n, schedule = 0, {}

init = function(args)
  for i, kind in ipairs(KINDS) do
    offsets[kind] = tonumber(args[i]) or 0
    used[kind] = 0
  end
  for _, entry in ipairs(D.schedule) do schedule[#schedule + 1] = entry end
end

local function anon(k)
  return string.format("198.18.%d.%d", math.floor(k / 256) % 16, k % 256)
end
local function person(u)
  return string.format("198.19.%d.%d", math.floor(u / 256) % 256, u % 256)
end
local function send(method, path, address, token, body)
  local headers = {["X-Forwarded-For"] = address}
  if token then headers["X-Session-Token"] = token end
  if body then headers["Content-Type"] = "application/json" end
  return wrk.format(method, path, headers, body)
end
local function pick(list, k) return list[k % #list + 1] end

local build = {}
for _, kind in ipairs({"detail", "rating", "reviews", "list", "ranks", "cost"}) do
  build[kind] = function(k) return send("GET", pick(D.reads[kind], k), anon(n), nil, nil) end
end
build.review_create = function(k)
  local u = k % #D.writers
  local m = (u + math.floor(k / #D.writers)) % #D.create_models
  local body = string.format(D.review_body, k % 5 + 1, k, u, m, k)
  return send("POST", D.create_models[m + 1], person(u), D.writers[u + 1], body)
end
local function pair(k, targets)
  local u = k % #D.writers
  return u, targets[(u + math.floor(k / #D.writers)) % #targets + 1]
end
build.vote = function(k)
  local u, review = pair(k, D.vote_targets)
  local body = (k % 4 == 0) and D.vote_bodies[1] or D.vote_bodies[2]
  return send("PUT", "/api/v1/reviews/" .. review .. "/vote/", person(u), D.writers[u + 1], body)
end
build.report = function(k)
  local u, review = pair(k, D.report_targets)
  return send("POST", "/api/v1/reviews/" .. review .. "/reports/", person(u),
              D.writers[u + 1], D.report_body)
end
build.me = function(k)
  local u = k % #D.writers
  return send("GET", "/api/v1/me/", person(u), D.writers[u + 1], nil)
end
build.moderation_queue = function(k)
  local m = k % #D.moderators
  return send("GET", "/api/v1/moderation/queue/", person(60000 + m), D.moderators[m + 1], nil)
end
build.moderation_verify = function(k)
  local m = k % #D.moderators
  local path = "/api/v1/moderation/reviews/" .. pick(D.pending, k) .. "/verify/"
  return send("POST", path, person(60000 + m), D.moderators[m + 1], D.verify_body)
end

request = function()
  n = n + 1
  local kind = schedule[(n - 1) % #schedule + 1]
  local k = offsets[kind] + used[kind]
  used[kind] = used[kind] + 1
  return build[kind](k)
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 400 then
    local code = body and string.match(body, '"code"%s*:%s*"([%w_]+)"') or "none"
    local key = status .. " " .. code
    codes[key] = (codes[key] or 0) + 1
  end
end

local threads = {}
setup = function(thread) threads[#threads + 1] = thread end

local function object(t, number_keys)
  local parts = {}
  for key, value in pairs(t) do
    parts[#parts + 1] = string.format('"%s": %d', tostring(key), value)
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

done = function(summary, latency, requests)
  local all_used, all_statuses, all_codes = {}, {}, {}
  for _, t in ipairs(threads) do
    for key, value in pairs(t:get("used")) do all_used[key] = (all_used[key] or 0) + value end
    for key, value in pairs(t:get("statuses")) do
      all_statuses[key] = (all_statuses[key] or 0) + value end
    for key, value in pairs(t:get("codes")) do all_codes[key] = (all_codes[key] or 0) + value end
  end
  local e = summary.errors
  io.write(string.format(
    'MIXED_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p95": %d, "p99": %d, "mean": %.1f, "max": %d}, ' ..
    '"used": %s, "statuses": %s, "codes": %s}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.mean, latency.max,
    object(all_used), object(all_statuses), object(all_codes)))
end
"""


def _lua(value: Any) -> str:
    """A Lua literal of strings, numbers, lists and string-keyed tables."""
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid Lua string for our ASCII data
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, list | tuple):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    return "{" + ", ".join(f"[{json.dumps(k)}] = {_lua(v)}" for k, v in value.items()) + "}"


def schedule() -> list[str]:
    """100 slots in MIX's shares, spread evenly (each kind at regular intervals)."""
    slots = [(i / share, kind) for kind, share in MIX for i in range(share)]
    return [kind for _, kind in sorted(slots)]


# --- Setup: accounts, sessions and the pools the writes draw from ---------------------------


def _users(kind: str, count: int) -> list[Any]:
    """`count` fresh accounts with a verified address, named after this run (a rerun on the
    same database adds new ones: the old ones keep their reviews)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    tag = f"{PREFIX}-{time.time_ns() // 1_000_000 % 10**9:x}-{kind}"
    users = User.objects.bulk_create(
        User(username=f"{tag}-{i}", email=f"{tag}-{i}@example.org",
             password=make_password(None), display_name=f"Mixed {kind} {i}")
        for i in range(count)
    )  # fmt: skip
    EmailAddress.objects.bulk_create(
        EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users
    )
    return users


def _session_tokens(users: list[Any]) -> list[str]:
    """A real allauth session token per account (what an app login returns): the key of a
    logged-in session, holding what `login()` stores (the tests' personas carry the same).
    Written in one INSERT: a login per account would take a minute on a busy machine."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from config.sessions import SessionStore

    store = SessionStore()
    expire = timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    backend = settings.AUTHENTICATION_BACKENDS[0]
    rows = [
        Session(
            session_key=get_random_string(32, VALID_KEY_CHARS),
            session_data=store.encode(
                {
                    SESSION_KEY: str(user.pk),
                    BACKEND_SESSION_KEY: backend,
                    HASH_SESSION_KEY: user.get_session_auth_hash(),
                }
            ),
            expire_date=expire,
        )
        for user in users
    ]
    Session.objects.bulk_create(rows)
    return [row.session_key for row in rows]


def _column(sql: str, params: tuple = ()) -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def setup(budget_requests: int) -> dict[str, Any]:
    """The accounts, tokens and pools for about `budget_requests` requests in all."""
    from accounts.services import moderator_grant

    writers = _users("writer", WRITERS)
    moderators = _users("moderator", MODERATORS)
    for user in moderators:
        moderator_grant(user=user)
    slugs = _column(
        "SELECT m.slug FROM models_catalog_aimodel m JOIN reviews_review r ON r.model_id = m.id "
        "WHERE r.status = 'published' GROUP BY m.slug ORDER BY count(*) DESC, m.slug LIMIT %s",
        (READ_MODELS,),
    )
    share = dict(MIX)
    wanted = {kind: budget_requests * share[kind] // 100 + 50 for kind in KINDS}
    # Published reviews of the read models for votes and reports (disjoint: enough reports
    # may hide a review), pending ones for the moderators; by id, newest last.
    published = [
        str(x)
        for x in _column(
            "SELECT r.public_id FROM reviews_review r JOIN models_catalog_aimodel m "
            "ON m.id = r.model_id WHERE r.status = 'published' AND m.slug = ANY(%s) "
            "ORDER BY r.id LIMIT %s",
            (slugs, 2 * max(wanted["vote"], wanted["report"])),
        )
    ]
    half = len(published) // 2
    pending = [
        str(x)
        for x in _column(
            "SELECT public_id FROM reviews_review WHERE status = 'pending' ORDER BY id DESC "
            "LIMIT %s",
            (wanted["moderation_verify"],),
        )
    ]
    # Models every writer may review (no review of theirs yet: the accounts are new).
    create_models = _column(
        "SELECT m.slug FROM models_catalog_aimodel m WHERE EXISTS (SELECT 1 FROM "
        "reviews_review r WHERE r.model_id = m.id) ORDER BY m.id LIMIT %s",
        (200,),
    )
    if not (published and pending and create_models):
        raise BenchError("mixed load: no published or pending reviews to act on")
    bases = {s: f"/api/v1/models/{model_path(s)}/" for s in slugs}
    priced = set(
        _column(
            "SELECT DISTINCT m.slug FROM models_catalog_aimodel m JOIN models_catalog_price p "
            "ON p.model_id = m.id WHERE m.slug = ANY(%s)",
            (slugs,),
        )
    )
    reads = {
        "detail": list(bases.values()),
        "rating": [f"{b}rating/" for b in bases.values()],
        "reviews": [f"{b}reviews/" for b in bases.values()],
        "list": ["/api/v1/models/?page_size=50", "/api/v1/models/?page_size=25",
                 "/api/v1/models/"],
        "ranks": [f"{b}ranks/" for b in bases.values()],
        "cost": [f"{b}cost/{COST_QUERY}" for s, b in bases.items() if s in priced],
    }  # fmt: skip
    return {
        "reads": reads,
        "writers": _session_tokens(writers),
        "moderators": _session_tokens(moderators),
        "create_models": [f"/api/v1/models/{model_path(s)}/reviews/" for s in create_models],
        "vote_targets": published[:half] or published,
        "report_targets": published[half:] or published,
        "pending": pending,
        "schedule": schedule(),
        "review_body": REVIEW_BODY,
        "vote_bodies": list(VOTE_BODIES),
        "report_body": REPORT_BODY,
        "verify_body": VERIFY_BODY,
        "writer_ids": [u.pk for u in writers],
        "moderator_ids": [u.pk for u in moderators],
    }


# --- One wrk run of the script ----------------------------------------------------------------


def _run(
    url: str, script: Path, *, connections: int, duration_s: float, offsets: dict[str, int]
) -> dict[str, Any]:
    command = [
        wrk.ensure_wrk(), "--threads", "1", "--connections", str(connections),
        "--duration", f"{max(round(duration_s), 1)}s", "--timeout", "10s", "--latency",
        "--script", str(script), url, "--", *(str(offsets[k]) for k in KINDS),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("MIXED_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk (mixed) failed:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("MIXED_JSON "))
    for kind, count in raw["used"].items():
        offsets[kind] += count
    return raw


def _drain(port: int, timeout: float = 60.0) -> float:
    """Wait until the server has worked off the requests the last wrk run left queued (its
    connections closed, but each request in the backlog is still served): an answer to a
    fresh request means everything queued before it is done. Seconds waited."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/healthz")
        conn.getresponse().read()
    finally:
        conn.close()
    return time.perf_counter() - started


def _step_result(connections: int, raw: dict[str, Any]) -> dict[str, Any]:
    seconds = raw["duration_us"] / 1e6
    latency = raw["latency_us"]
    statuses = {int(k): v for k, v in sorted(raw["statuses"].items(), key=lambda x: int(x[0]))}
    ok = sum(v for k, v in statuses.items() if 200 <= k < 300)
    socket_errors = {k: v for k, v in raw["errors"].items() if k != "status" and v}
    return {
        "connections": connections,
        "requests": raw["requests"],
        "duration_s": round(seconds, 3),
        "rps": round(raw["requests"] / seconds, 1),
        "ok_rps": round(ok / seconds, 1),
        **{f"{p}_ms": round(latency[p] / 1000, 3) for p in ("p50", "p90", "p95", "p99", "max")},
        "statuses": statuses,
        "ok": ok,
        "client_errors": sum(v for k, v in statuses.items() if 400 <= k < 500),
        "throttled": statuses.get(429, 0),
        "conflicts": statuses.get(409, 0),
        "server_errors": sum(v for k, v in statuses.items() if k >= 500),
        "error_codes": dict(sorted(raw["codes"].items())),
        "socket_errors": socket_errors,
        "sent_by_kind": raw["used"],
    }


def _rows_gained(data: dict[str, Any]) -> dict[str, int]:
    """What the database holds from the mixed clients: the truth beside the 2xx counts."""
    writers, moderators = data["writer_ids"], data["moderator_ids"]
    count = "SELECT count(*) FROM {} WHERE {} = ANY(%s)"

    def one(sql: str, ids: list[int]) -> int:
        return int(_column(sql, (ids,))[0])

    return {
        "reviews": one(count.format("reviews_review", "author_id"), writers),
        "votes": one(count.format("reviews_helpfulvote", "voter_id"), writers),
        "reports": one(count.format("reviews_report", "reporter_id"), writers),
        "verifications": int(
            _column(
                "SELECT count(*) FROM reviews_moderationevent WHERE actor_id = ANY(%s) "
                "AND action = 'verify'",
                (moderators,),
            )[0]
        ),
    }


def mixed_load(
    port: int, *, duration_s: float, warmup_s: float, scratch: Path, floor_rps: float | None,
    steps: tuple[int, ...] = STEPS, on_measure: Callable[[], None] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The ramp; `on_measure` (if any) is called just before and just after each measured
    run (bench/mixed_alone.py cuts the server's access log there)."""
    budget = int(len(steps) * MAX_RPS * (duration_s + warmup_s))
    started = time.perf_counter()
    data = setup(budget)
    setup_s = time.perf_counter() - started
    script = scratch / "wrk_mixed.lua"
    body = {k: v for k, v in data.items() if not k.endswith("_ids")}
    script.write_text(
        _SCRIPT.replace("__DATA__", _lua(body)).replace("__KINDS__", _lua(list(KINDS)))
    )
    url = f"http://127.0.0.1:{port}/"
    offsets = dict.fromkeys(KINDS, 0)
    say(
        f"  setup {setup_s:.1f} s: {WRITERS} writers, {MODERATORS} moderators, "
        f"{len(data['pending'])} pending reviews, {len(data['vote_targets'])} vote targets"
    )
    results = []
    for connections in steps:
        drained = _drain(port)
        if warmup_s > 0:
            _run(url, script, connections=connections, duration_s=warmup_s, offsets=offsets)
        if on_measure is not None:
            on_measure()
        raw = _run(url, script, connections=connections, duration_s=duration_s, offsets=offsets)
        if on_measure is not None:
            on_measure()
        step = _step_result(connections, raw)
        step["drain_before_s"] = round(drained, 2)
        results.append(step)
        say(
            f"  {connections:>4} conns {step['rps']:>8,.0f} req/s (2xx {step['ok_rps']:,.0f}/s)"
            f"  p50 {step['p50_ms']:.1f}  p95 {step['p95_ms']:.1f}  p99 {step['p99_ms']:.1f} ms"
            f"  409 {step['conflicts']}  429 {step['throttled']}  5xx {step['server_errors']}"
            f"  other 4xx {step['client_errors'] - step['conflicts'] - step['throttled']}"
        )
    return _summary(results, data, offsets, floor_rps, duration_s, warmup_s, setup_s)


def _summary(
    results: list[dict[str, Any]], data: dict[str, Any], offsets: dict[str, int],
    floor_rps: float | None, duration_s: float, warmup_s: float, setup_s: float,
) -> dict[str, Any]:  # fmt: skip
    # A step that completed nothing (every request slower than the step) is no knee.
    below = [
        r for r in results
        if r["requests"] and r["p95_ms"] < P95_LIMIT_MS and not r["socket_errors"]
    ]  # fmt: skip
    knee = max(below, key=lambda r: r["connections"]) if below else None
    knee_rps = knee["rps"] if knee else None
    return {
        "mix_percent": dict(MIX),
        "steps": results,
        "duration_s": duration_s,
        "warmup_s": warmup_s,
        "setup_s": round(setup_s, 1),
        "p95_limit_ms": P95_LIMIT_MS,
        "knee_connections": knee["connections"] if knee else None,
        "knee_rps": knee_rps,
        "knee_p95_ms": knee["p95_ms"] if knee else None,
        "peak_rps": max((r["rps"] for r in results), default=None),
        "floor_rps": floor_rps,
        "knee_over_floor": round(knee_rps / floor_rps, 3) if knee_rps and floor_rps else None,
        "baseline_rps": BASELINE_RPS,
        # No step under the latency limit: nothing below saturation met it (0, a miss).
        "knee_over_baseline": round(knee_rps / BASELINE_RPS, 2) if knee_rps else 0.0,
        "target_over_baseline": TARGET_OVER_BASELINE,
        "sent_by_kind": offsets,
        "rows_gained": _rows_gained(data),
        "pools": {
            "writers": len(data["writers"]),
            "moderators": len(data["moderators"]),
            "pending": len(data["pending"]),
            "vote_targets": len(data["vote_targets"]),
            "report_targets": len(data["report_targets"]),
            "create_models": len(data["create_models"]),
            "read_models": len(data["reads"]["detail"]),
        },
        "addresses": ANON_ADDRESSES,
        "throttles": "production (per address, per account, per-account write limits)",
    }


# --- Where the time goes (kept when the target is missed) -------------------------------------


def profile_kinds(repeat: int = 10) -> dict[str, Any]:
    """A signed-in write, a moderation read and /me/ in this process under cProfile (the
    reads' profiles are the read step's): what a mixed-load request costs beyond a read."""
    from django.test import Client

    users = _users("profile", 1)
    moderators = _users("profile-moderator", 1)
    from accounts.services import moderator_grant

    moderator_grant(user=moderators[0])
    signed, moderating = Client(HTTP_HOST="127.0.0.1"), Client(HTTP_HOST="127.0.0.1")
    signed.force_login(users[0])
    moderating.force_login(moderators[0])
    review = _column(
        "SELECT public_id FROM reviews_review WHERE status = 'published' ORDER BY id LIMIT 1"
    )[0]

    def get(client: Any, path: str) -> Callable[[], None]:
        def fetch() -> None:
            response = client.get(path)
            if response.status_code != 200:
                raise BenchError(f"GET {path} answered {response.status_code} in process")

        return fetch

    def vote() -> None:
        response = signed.put(
            f"/api/v1/reviews/{review}/vote/", {"helpful": True}, content_type="application/json"
        )
        if response.status_code != 200:
            raise BenchError(f"vote answered {response.status_code} in process")

    return {
        "me": profile(get(signed, "/api/v1/me/"), repeat=repeat),
        "moderation_queue": profile(get(moderating, "/api/v1/moderation/queue/"), repeat=repeat),
        "vote": profile(vote, repeat=repeat),
    }
