"""The outbox: domain events written in the transaction that causes them, and their delivery
to registered consumers (see services.py)."""
