"""Signing deliveries the Standard Webhooks way (https://www.standardwebhooks.com/).

Each POST carries three headers:
    webhook-id:         the event id (`evt_<n>`), the same on every retry and redelivery
    webhook-timestamp:  Unix seconds when this attempt was sent
    webhook-signature:  `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`
keyed with the base64-decoded part of the secret after `whsec_`. A receiver recomputes
the HMAC over the raw body, compares in constant time, and refuses timestamps more than a
few minutes off (replays). The official standardwebhooks libraries verify it as is.
"""

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def secret_generate() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_valid(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does (used by the tests and the README's receiver)."""
    expected = signature(secret, headers["webhook-id"], int(headers["webhook-timestamp"]), body)
    offered = headers["webhook-signature"].split(" ")
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)
