"""Read helpers for tickets: single-object access with the permission check built in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from sopdesk.accounts.models import User
from sopdesk.core.pagination import BoundedCount, Keyset, bounded_count
from sopdesk.core.validation import ValidationFailed
from sopdesk.lib.text import has_forbidden_characters
from sopdesk.tickets.filters import ORDERINGS
from sopdesk.tickets.models import Attachment, Ticket, TicketEvent


def get_ticket_for_user(user: User, number: str) -> Ticket:
    """Return the ticket `number` if `user` may see it, else raise Http404 (never 403: no existence oracle).

    Whether `user` may change it is the actions' business (they check it on the locked row).
    """
    if has_forbidden_characters(number):
        # No ticket number holds control characters, and PostgreSQL refuses NUL in a query.
        raise Http404("No such ticket")
    ticket: Ticket | None = (
        Ticket.objects.visible_to(user)
        .select_related("requester", "organization__customer_level", "category", "team", "assignee")
        .filter(number=number[:32])
        .first()
    )
    if ticket is None:
        raise Http404("No such ticket")
    return ticket


# Columns a ticket list shows; the long texts stay on disk.
TICKET_LIST_COLUMNS = (
    "number",
    "title",
    "status",
    "priority",
    "channel",
    "category",
    "team",
    "assignee",
    "requester",
    "created_at",
    "updated_at",
)


def ticket_list_rows(tickets: QuerySet[Ticket], *, also: Sequence[str] = ()) -> QuerySet[Ticket]:
    """Return `tickets` shaped for a list page: list columns (and `also`) only, related rows prefetched.

    Prefetching instead of joining keeps the visibility filter and the ordering on the ticket
    table alone, where the indexes are; joins made SQLite sort every visible row (bench/README.md).
    """
    related = ["requester", "assignee", "team", "category", *(name for name in also if name in RELATED_LIST_COLUMNS)]
    return tickets.only(*TICKET_LIST_COLUMNS, *also).prefetch_related(*related)


# Further columns a list may ask for; the related ones are prefetched like the standard ones.
RELATED_LIST_COLUMNS = frozenset({"organization"})


# One resumable ordering per ticket-list ordering name.
TICKET_KEYSETS = {name: Keyset(Ticket, name, fields) for name, fields in ORDERINGS.items()}


@dataclass(frozen=True)
class TicketListPage:
    items: list[Ticket]
    next_cursor: str | None
    count: BoundedCount


def ticket_list_page(
    tickets: QuerySet[Ticket],
    *,
    ordering: str,
    cursor: str | None,
    limit: int,
    offset: int = 0,
    also: Sequence[str] = (),
) -> TicketListPage:
    """Return one page of `tickets` (already filtered for the viewer) in `ordering`.

    The page resumes after `cursor` and the count stops at a bound, so the cost of a page does
    not grow with the number of matching tickets (bench/README.md).
    """
    if cursor and offset:
        raise ValidationFailed({"offset": [_("Use either a cursor or an offset, not both.")]})
    page = TICKET_KEYSETS[ordering].page(
        ticket_list_rows(tickets, also=also), cursor=cursor, limit=limit, offset=offset
    )
    return TicketListPage(items=page.items, next_cursor=page.next_cursor, count=bounded_count(tickets))


def events_for(ticket: Ticket, user: User) -> QuerySet[TicketEvent]:
    """Return the timeline of `ticket` as `user` may see it, oldest first."""
    return (
        TicketEvent.objects.visible_to(user).filter(ticket=ticket).select_related("actor").order_by("created_at", "id")
    )


def attachments_for(ticket: Ticket, user: User) -> QuerySet[Attachment]:
    return Attachment.objects.visible_to(user).filter(ticket=ticket).order_by("created_at", "id")


def get_attachment_for_user(user: User, ticket: Ticket, attachment_id: int) -> Attachment:
    """Return one attachment of a visible ticket, hiding internal files from requesters (404)."""
    attachment = attachments_for(ticket, user).filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such attachment")
    return attachment
