"""One stored answer per (user, Idempotency-Key)."""

from django.db import models
from django.db.models import Q


class IdempotencyKey(models.Model):
    """A write a client asked for with an `Idempotency-Key`: which request it was (the
    fingerprint: method, path and a hash of the body) and, once answered, the answer.
    `status_code` is null while the first request is still running (in flight)."""

    user_id = models.BigIntegerField()  # the signed-in user; no foreign key (see __init__)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "key"], name="idempotency_key_unique"),
            models.CheckConstraint(
                condition=Q(status_code__isnull=True)
                | Q(status_code__gte=100, status_code__lt=600),
                name="idempotency_status_code_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} of user {self.user_id} ({self.status_code or 'in flight'})"
