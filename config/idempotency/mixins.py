"""`IdempotentWriteMixin`: the `Idempotency-Key` header on a DRF view's writes."""

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from config.idempotency.exceptions import IdempotencyKeyInvalid
from config.idempotency.models import IdempotencyKey
from config.idempotency.store import (
    IdempotentReplay,
    idempotency_claim,
    idempotency_complete,
    request_fingerprint,
)

HEADER = "Idempotency-Key"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class IdempotentWriteMixin:
    """Put first in a view's bases. A write sent with `Idempotency-Key: <key>` by a signed-in
    client is answered once and replayed: the same key with the same method, path and body
    gets the stored status and body again (header `Idempotent-Replayed: true`) without
    running the write; with another request, 422 `idempotency_key_reused`; while the first
    is still running, 409 `idempotency_key_in_flight`. Keys are per user and live
    IDEMPOTENCY_KEY_TTL_HOURS. Without the header nothing changes.

    The key is claimed after authentication, permissions and throttles (a refused request
    is not remembered) and the answer stored when the response is final; a 5xx releases it.
    """

    idempotent_methods: frozenset[str] = WRITE_METHODS
    _idempotency_record: IdempotencyKey | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        key = request.headers.get(HEADER)
        if key is None or request.method not in self.idempotent_methods:
            super().initial(request, *args, **kwargs)  # type: ignore[misc]
            return
        # Before authentication: a CSRF check may parse the body, after which Django no
        # longer hands out the raw bytes.
        fingerprint = request_fingerprint(request._request)
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if not request.user.is_authenticated:
            return
        if not (0 < len(key) <= 255 and key.isascii() and key.isprintable()):
            raise IdempotencyKeyInvalid(field=HEADER)
        self._idempotency_record = idempotency_claim(
            user_id=request.user.pk, key=key, fingerprint=fingerprint
        )

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, IdempotentReplay):
            return exc.response  # type: ignore[return-value]
        return super().handle_exception(exc)  # type: ignore[misc]

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        # `response` may be a replayed HttpResponse (handle_exception): DRF only asserts
        # HttpResponseBase.
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        record, self._idempotency_record = self._idempotency_record, None
        if record is not None:
            idempotency_complete(record, response)
        return response
