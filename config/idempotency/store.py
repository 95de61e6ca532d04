"""Claiming a key, storing the answer, replaying it, and sweeping old keys.

A claim is its own committed INSERT (views are not atomic), so a concurrent retry with the
same key sees it at once and gets 409 `idempotency_key_in_flight` instead of running the
write twice. If the process dies between the write and the stored answer, the claim stays
in flight for IDEMPOTENCY_IN_FLIGHT_SECONDS, then a retry may run again (the writes
clients retry are themselves safe to repeat: moderation actions answer 200 for a state
already reached; a second review or vote is refused or replaces the first).
"""

import datetime as dt
import hashlib

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone

from config.idempotency.exceptions import IdempotencyKeyInFlight, IdempotencyKeyReused
from config.idempotency.models import IdempotencyKey
from config.prune import delete_in_batches

REPLAYED_HEADER = "Idempotent-Replayed"


class IdempotentReplay(Exception):
    """Raised by `idempotency_claim` when the key was answered already: the stored answer."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__("replayed")
        self.response = response


def request_fingerprint(request: HttpRequest) -> str:
    """The request as the key must see it again: method, path with query, body (sha256)."""
    digest = hashlib.sha256()
    for part in (request.method or "", request.get_full_path()):
        digest.update(part.encode() + b"\n")
    digest.update(request.body)
    return digest.hexdigest()


def _replay(record: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(record.body), status=record.status_code, content_type=record.content_type or None
    )
    response[REPLAYED_HEADER] = "true"
    return response


def _expired(record: IdempotencyKey, now: dt.datetime) -> bool:
    return record.created_at < now - dt.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def idempotency_claim(*, user_id: int, key: str, fingerprint: str) -> IdempotencyKey:
    """Claim `key` for this request. Raises IdempotentReplay (the same request was answered:
    its answer), IdempotencyKeyReused (the key was used for another request: 422),
    IdempotencyKeyInFlight (the same request is still running: 409)."""
    for _ in range(2):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    user_id=user_id, key=key, fingerprint=fingerprint
                )
        except IntegrityError:
            pass
        now = timezone.now()
        record = IdempotencyKey.objects.filter(user_id=user_id, key=key).first()
        if record is None:
            continue  # released (a 5xx) or swept meanwhile: claim again
        if _expired(record, now):
            record.delete()  # older than its lifetime, not swept yet: a new key
            continue
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused(field="Idempotency-Key")
        if record.status_code is not None:
            raise IdempotentReplay(_replay(record))
        lease = dt.timedelta(seconds=settings.IDEMPOTENCY_IN_FLIGHT_SECONDS)
        if record.created_at < now - lease:
            # The first attempt's process died before answering: this retry takes over.
            taken = IdempotencyKey.objects.filter(
                pk=record.pk, status_code__isnull=True, created_at=record.created_at
            ).update(created_at=now)
            if taken:
                return record
        raise IdempotencyKeyInFlight()
    raise IdempotencyKeyInFlight()


def idempotency_complete(record: IdempotencyKey, response: HttpResponseBase) -> None:
    """Store the answer for replay; a server error releases the key instead, so the client's
    retry runs the write again."""
    if response.status_code >= 500 or not isinstance(response, HttpResponse):
        IdempotencyKey.objects.filter(pk=record.pk, status_code__isnull=True).delete()
        return
    render = getattr(response, "render", None)
    if render is not None:
        render()
    IdempotencyKey.objects.filter(pk=record.pk).update(
        status_code=response.status_code,
        content_type=response.get("Content-Type", ""),
        body=response.content,
    )


def idempotency_key_sweep(*, now: dt.datetime | None = None) -> int:
    """Delete keys older than IDEMPOTENCY_KEY_TTL_HOURS, in batches (config.prune: a backlog
    is no single long DELETE; the next run goes on). Returns how many this run deleted."""
    cutoff = (now or timezone.now()) - dt.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    return delete_in_batches(
        IdempotencyKey.objects.filter(created_at__lt=cutoff), order="created_at"
    )


def idempotency_keys_forget(*, user_id: int) -> int:
    """Delete every stored answer of a user (erasure: a replayed body may hold their data)."""
    deleted, _ = IdempotencyKey.objects.filter(user_id=user_id).delete()
    return deleted
