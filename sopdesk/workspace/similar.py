"""Similar past tickets: the search service's best matches for a ticket's title and description.

The search runs over the tickets the viewer may see (`search.service.search_tickets` starts from
`Ticket.objects.visible_to`), with any word counting (`match_any`), so a ticket sharing only some
words still ranks. Resolved and closed tickets come first — their closure summary is what the
agent wants — and the others are marked with their status; the ticket itself is never shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from sopdesk.accounts.models import User
from sopdesk.search.service import query_from, search_tickets
from sopdesk.tickets.choices import Status
from sopdesk.tickets.models import Ticket

SHOWN = 5
# Ranked candidates read from the search, so that enough resolved ones survive the reordering.
CANDIDATES = 20
PAST = frozenset({Status.RESOLVED, Status.CLOSED})


@dataclass(frozen=True)
class Similar:
    number: str
    title: str
    status: str
    is_past: bool


def similar_tickets(user: User, ticket: Ticket, *, shown: int = SHOWN) -> list[Similar]:
    """Return up to `shown` tickets like `ticket` that `user` may see: resolved or closed first, best match first."""
    hits = search_tickets(user, query_from(ticket.title, ticket.description), limit=CANDIDATES + 1, match_any=True)
    found = [
        Similar(
            number=hit.ticket.number,
            title=hit.ticket.title,
            status=hit.ticket.status,
            is_past=hit.ticket.status in PAST,
        )
        for hit in hits
        if hit.ticket.pk != ticket.pk
    ]
    found.sort(key=lambda item: not item.is_past)  # stable: the search's ranking within each group
    return found[:shown]
