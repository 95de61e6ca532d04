"""Issue 18's acceptance over HTTP, against a running server (`make run`):

    .venv/bin/python scripts/compare_walkthrough.py [BASE_URL] [MAIL_DIR] [VAR_DIR]

(defaults http://127.0.0.1:8000, var/mail, var). Checks, printing what it read:
1. o4-mini's price history shows its OpenRouter rows with dates;
2. the chart of `multimodal` / `output_price` has every such model in one request, each with
   the rank its own `ranks/` gives;
3. a comparison of three models returns aligned rows (one cell per model in every row);
4. five accounts sign up (mail verification), each writes a coding review of two models, a
   moderator (granted with `manage.py grant_moderator`, run against VAR_DIR's database)
   publishes the ten; then both models have a coding rating and a coding rank.
Stops with a message and exit 1 at the first surprise. Standard library only.
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
MAIL_DIR = Path(sys.argv[2] if len(sys.argv) > 2 else "var/mail")
VAR_DIR = sys.argv[3] if len(sys.argv) > 3 else "var"
MODELS = ("openai/o4-mini", "google/gemini-2.5-flash")
STARS = ((5, 5, 4, 5, 5), (4, 3, 4, 4, 3))  # per model, of its five coding reviews
RUN = f"{int(time.time())}-{os.getpid()}"


def fail(message: str) -> None:
    print(f"compare walkthrough: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def call(
    method: str, path: str, token: str = "", body: Any = None
) -> tuple[int, Any, dict[str, str]]:
    data = None if body is None else json.dumps(body).encode()
    # BASE is the operator's own server (an http URL they typed): nothing untrusted.
    request = urllib.request.Request(BASE + path, data=data, method=method)  # noqa: S310
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("X-Session-Token", token)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            raw, status, headers = response.read(), response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        raw, status, headers = error.read(), error.code, dict(error.headers)
    return status, (json.loads(raw) if raw else None), headers


def get(path: str) -> Any:
    status, body, _ = call("GET", path)
    if status != 200:
        fail(f"GET {path}: HTTP {status}: {str(body)[:300]}")
    return body


def model_url(slug: str, suffix: str = "") -> str:
    return f"/api/v1/models/{slug}/{suffix}"


def price_history() -> None:
    body = get(model_url("openai/o4-mini", "prices/"))
    rows = [
        (series["offering"], price["as_of"], price["input_per_mtok"], price["output_per_mtok"])
        for series in body["series"]
        if series["source"] == "openrouter"
        for price in series["prices"]
    ]
    if not rows or not all(re.fullmatch(r"\d{4}-\d\d-\d\d", row[1]) for row in rows):
        fail(f"price history: no dated OpenRouter rows in {body}")
    print(f"1. price history of o4-mini: {len(rows)} OpenRouter rows, e.g. {rows[:3]}")


def chart() -> None:
    body = get("/api/v1/charts/?category=multimodal&measure=output_price")
    points = body["points"]
    listed = get("/api/v1/models/?input_modality=image&page_size=1")["count"]
    mismatches = []
    for point in points:
        ranks = get(model_url(point["model"]["slug"], "ranks/"))["ranks"]
        [own] = [
            r["rank"]
            for r in ranks
            if r["category"] == "multimodal" and r["measure"] == "output_price"
        ] or [None]
        if own != point["rank"]:
            mismatches.append((point["model"]["slug"], point["rank"], own))
    if mismatches:
        fail(f"chart ranks differ from ranks/: {mismatches[:5]}")
    print(
        f"2. chart multimodal/output_price: {len(points)} points in one request "
        f"({listed} multimodal models listed, the others have no price); every rank equals "
        f"the model's ranks/; first three: "
        f"{[(p['model']['slug'], p['value'], p['rank']) for p in points[:3]]}"
    )


def compare() -> None:
    names = ",".join([*MODELS, "anthropic/claude-sonnet-4"])
    body = get(f"/api/v1/compare/?models={names}")
    widths = {len(row["cells"]) for row in body["rows"]}
    if widths != {3}:
        fail(f"compare: rows are not aligned on 3 models: cell counts {widths}")
    cost = next(row for row in body["rows"] if row["key"] == "cost")
    print(
        f"3. compare {names}: {len(body['rows'])} rows, each with 3 cells; cost row: "
        f"{[(c['value'], c['better']) for c in cost['cells']]}"
    )


def verified_account(name: str) -> tuple[str, str]:
    """Sign up, read the verification key from the mail, verify: (email, session token)."""
    # allauth stores addresses lowercased; the mail is addressed to that form
    email = f"walk-{name.replace(' ', '-')}-{RUN}@example.org".lower()
    body = {"email": email, "password": f"an unusual passphrase {RUN}", "display_name": name}
    status, answer, _ = call("POST", "/_allauth/app/v1/auth/signup", body=body)
    if status != 401:
        fail(f"sign-up {email}: HTTP {status}: {answer}")
    signup_token = answer["meta"]["session_token"]
    key = ""
    for _ in range(60):
        for mail in sorted(MAIL_DIR.glob("*.log")):
            text = mail.read_text(errors="replace")
            if f"To: {email}" in text:
                found = re.findall(r"verify-email/(\S+)", text)
                key = urllib.parse.unquote(found[-1]) if found else ""
        if key:
            break
        time.sleep(1)
    if not key:
        fail(f"no verification mail to {email} in {MAIL_DIR}")
    status, answer, _ = call(
        "POST", "/_allauth/app/v1/auth/email/verify", signup_token, {"key": key}
    )
    if status != 200:
        fail(f"verify {email}: HTTP {status}: {answer}")
    return email, answer["meta"]["session_token"]


def grant_moderator(email: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")}
    env.update(VAR_DIR=VAR_DIR, DJANGO_SETTINGS_MODULE="config.settings.local")
    subprocess.run(  # noqa: S603 (a fixed command; the email is one this script made)
        [sys.executable, "manage.py", "grant_moderator", email], env=env, check=True
    )


def coding_reviews() -> None:
    _, moderator = verified_account("Moderator")
    grant_moderator(_)
    published = 0
    for n in range(5):
        _, token = verified_account(f"Reviewer {n}")
        for slug, stars in zip(MODELS, STARS, strict=True):
            review = {
                "stars": stars[n],
                "title": f"Coding with {slug}, week {n}",
                "body": f"Review {n} of {slug}: I used it for {n + 2} weeks on a Django "
                f"codebase, refactoring views and writing tests; run {RUN}.",
                "use_cases": ["coding"],
            }
            status, answer, _ = call("POST", model_url(slug, "reviews/"), token, review)
            if status != 201:
                fail(f"review of {slug}: HTTP {status}: {answer}")
            status, answer, _ = call(
                "POST", f"/api/v1/moderation/reviews/{answer['id']}/verify/", moderator, {}
            )
            if status != 200 or answer["status"] != "published":
                fail(f"verify: HTTP {status}: {answer}")
            published += 1
    print(f"4. {published} coding reviews published (5 per model, 5 accounts, a moderator)")
    deadline = time.monotonic() + 60
    while True:
        found = {}
        for slug in MODELS:
            coding = get(model_url(slug, "rating/"))["use_cases"].get("coding")
            ranks = get(model_url(slug, "ranks/"))["ranks"]
            rank = [(r["rank"], r["total"]) for r in ranks if r["measure"] == "use_case_coding"]
            found[slug] = (coding, rank)
        if all(c and c["review_count"] >= 5 and r for c, r in found.values()):
            break
        if time.monotonic() > deadline:
            fail(f"no coding rating and rank for both within 60 s: {found}")
        time.sleep(1)
    for slug, (coding, rank) in found.items():
        print(
            f"   {slug}: coding {coding['review_count']} reviews, Bayesian average "
            f"{coding['bayesian_average']:.3f}, rank {rank[0][0]} of {rank[0][1]}"
        )


if __name__ == "__main__":
    price_history()
    chart()
    compare()
    coding_reviews()
    print("compare walkthrough: done")
