"""Idempotency keys: a client may retry a write with the same `Idempotency-Key` header and
get the first answer again instead of a second effect (see `mixins.IdempotentWriteMixin`).

A tiny app of its own under config/ (shared plumbing, the bottom layer): it needs a table,
and no higher app may be imported by config. Rows name the user by id only (no foreign key
to accounts), live a day, and are swept by `idempotency_key_sweep_task`.
"""
