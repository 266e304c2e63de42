"""Who hears of the SLA scanner's warnings and breaches, inside the scanner's transaction.

Apps above sla (the chat robots and webhooks of sopdesk.integrations) register a listener in their
`AppConfig.ready()`; the scanner hands it the timeline rows it wrote for each batch, so what the
listener writes (outbox messages) commits or rolls back with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sopdesk.tickets.events import EventRow


class SlaListener(Protocol):
    def sla_events(self, rows: Sequence[EventRow], *, now: datetime) -> None: ...


_listeners: list[SlaListener] = []


def register_sla_listener(listener: SlaListener) -> None:
    """Have `listener` told of every SLA event the scanner writes (one instance per class)."""
    if not any(type(existing) is type(listener) for existing in _listeners):
        _listeners.append(listener)


def announce(rows: Sequence[EventRow], *, now: datetime) -> None:
    """Tell the listeners of `rows` (the scanner calls this in its transaction)."""
    if rows:
        for listener in _listeners:
            listener.sla_events(rows, now=now)
