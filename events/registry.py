"""Consumers of domain events. Higher apps register theirs in `AppConfig.ready()`; the outbox
creates a delivery row per registered consumer of an event's type."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from events.models import Event

# A handler receives the event and returns a short note to record (or None). It raises to
# have the delivery retried, or PermanentDeliveryError when a retry cannot help.
Handler = Callable[[Event], str | None]


# Asked when an event is recorded: does the consumer want it at all (e.g. is anyone
# subscribed)? False writes no delivery row for it. One cheap query at most.
Wants = Callable[[str], bool]


@dataclass(frozen=True)
class Consumer:
    name: str
    event_types: frozenset[str]
    handler_ref: Handler | str  # a callable, or its dotted path (imported on first use)
    wants_ref: Wants | str | None = None  # None: every event of its types

    def wants(self, event_type: str) -> bool:
        if self.wants_ref is None:
            return True
        wants = import_string(self.wants_ref) if isinstance(self.wants_ref, str) else self.wants_ref
        return bool(wants(event_type))

    @property
    def handler(self) -> Handler:
        if isinstance(self.handler_ref, str):
            return import_string(self.handler_ref)
        return self.handler_ref


_CONSUMERS: dict[str, Consumer] = {}


def consumer_register(
    name: str, event_types: Iterable[str], handler: Handler | str, wants: Wants | str | None = None
) -> None:
    """Register consumer `name` (stable: it is stored on every delivery row) for
    `event_types`; `wants`, if given, is asked per recorded batch whether to deliver at all.
    Registering the same consumer again is a no-op; another one under a taken name raises
    ImproperlyConfigured."""
    consumer = Consumer(name, frozenset(event_types), handler, wants)
    if len(name) > 64:
        raise ImproperlyConfigured(f"consumer name {name!r} is longer than 64 characters")
    existing = _CONSUMERS.setdefault(name, consumer)
    if existing != consumer:
        raise ImproperlyConfigured(f"another outbox consumer is registered as {name!r}")


def consumer_unregister(name: str) -> None:
    """Forget consumer `name` (tests that register their own)."""
    _CONSUMERS.pop(name, None)


def consumers_for(event_type: str) -> list[Consumer]:
    return [c for c in _CONSUMERS.values() if event_type in c.event_types]


def consumer_get(name: str) -> Consumer | None:
    return _CONSUMERS.get(name)
