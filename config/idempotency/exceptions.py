from config.exceptions import ApplicationError


class IdempotencyKeyReused(ApplicationError):
    code = "idempotency_key_reused"
    status_code = 422
    default_message = "This Idempotency-Key was already used for a different request."


class IdempotencyKeyInFlight(ApplicationError):
    code = "idempotency_key_in_flight"
    status_code = 409
    default_message = "A request with this Idempotency-Key is still being processed; retry later."


class IdempotencyKeyInvalid(ApplicationError):
    code = "idempotency_key_invalid"
    status_code = 400
    default_message = "Idempotency-Key must be 1 to 255 printable ASCII characters."
