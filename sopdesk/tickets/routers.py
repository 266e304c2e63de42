"""How an app above tickets chooses the team of a new ticket without the ticket app knowing it.

`create_ticket` asks the registered router (the routing app registers one in its
`AppConfig.ready()`) once the ticket's classification and priority are known and before it is
saved. The router answers a `RoutingChoice`: the team, and the timeline entries that explain the
choice, which are written in the same statement as the creation's own entry. Without a router the
ticket goes to its category's default team, else to the intake team (`tickets.actions`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sopdesk.accounts.models import Team
    from sopdesk.tickets.models import Ticket, TicketEvent


@dataclass(frozen=True)
class RoutingChoice:
    team: Team | None
    # Called once the ticket is saved: its unsaved timeline entries explaining the choice.
    explain: Callable[[Ticket, datetime], Sequence[TicketEvent]]


class TicketRouter(Protocol):
    def route(self, ticket: Ticket) -> RoutingChoice:
        """Choose the team of the unsaved `ticket` (classified, priority set); reads no ticket rows."""
        ...


_routers: list[TicketRouter] = []


def register_router(router: TicketRouter) -> None:
    """Have `router` choose the team of every new ticket (call from an AppConfig.ready(); one router)."""
    if any(type(existing) is type(router) for existing in _routers):
        return  # ready() can run twice in some test set-ups
    if _routers:
        raise RuntimeError("a ticket router is registered already")
    _routers.append(router)


def registered_router() -> TicketRouter | None:
    return _routers[0] if _routers else None
