"""Extra conditions on status moves, registered by apps above tickets (like the observers).

`transition_refusal` asks every registered guard after its own rules, so the one rule for a move
(and the moves `allowed_transitions` offers) includes them. A guard answers None or the refusal.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sopdesk.accounts.models import User
    from sopdesk.core.errors import ActionError
    from sopdesk.tickets.models import Ticket


class TransitionGuard(Protocol):
    def refusal(self, ticket: Ticket, *, to_status: str, actor: User, now: datetime) -> ActionError | None:
        """Return why `ticket` may not move to `to_status` now, or None."""
        ...


_guards: list[TransitionGuard] = []


def register_transition_guard(guard: TransitionGuard) -> None:
    """Have `guard` judge every status move (call from an AppConfig.ready()); one instance per class."""
    if not any(type(existing) is type(guard) for existing in _guards):
        _guards.append(guard)


def transition_guards() -> tuple[TransitionGuard, ...]:
    return tuple(_guards)
