"""Read helpers for tickets: single-object access with the permission check built in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from sopdesk.accounts.models import Organization, Team, User
from sopdesk.core.pagination import BoundedCount, Keyset, OffsetPages, bounded_count
from sopdesk.core.validation import ValidationFailed
from sopdesk.lib.text import has_forbidden_characters
from sopdesk.tickets.filters import ORDERINGS, RELEVANCE
from sopdesk.tickets.models import Attachment, Category, Ticket, TicketAccessLog, TicketEvent


def get_ticket_for_user(user: User, number: str) -> Ticket:
    """Return the ticket `number` if `user` may see it, else raise Http404 (never 403: no existence oracle).

    Whether `user` may change it is the actions' business (they check it on the locked row).
    """
    if has_forbidden_characters(number):
        # No ticket number holds control characters, and PostgreSQL refuses NUL in a query.
        raise Http404("No such ticket")
    ticket: Ticket | None = (
        Ticket.objects.visible_to(user, by_key=True)
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
    """Return `tickets` shaped for a list page: list columns (and `also`) only; load the related rows
    with `attach_list_relations` once the page is read.

    Loading them separately instead of joining keeps the visibility filter and the ordering on the
    ticket table alone, where the indexes are; joins made SQLite sort every visible row (bench/README.md).
    """
    return tickets.only(*TICKET_LIST_COLUMNS, *also)


# What a list row shows of its people (`str(user)` falls back from the display name to the full name).
_LIST_USER_COLUMNS = ("username", "display_name", "first_name", "last_name")


def attach_list_relations(tickets: Sequence[Ticket], *, also: Sequence[str] = ()) -> None:
    """Attach the requester, assignee, team and category of list rows: three plain `IN` queries.

    Cheaper than `prefetch_related`, which on Django 5.2 builds a tuple lookup per relation
    (on SQLite an `OR` of one comparison per row) and loads whole user rows (bench/README.md).
    """
    user_ids = {t.requester_id for t in tickets} | {t.assignee_id for t in tickets if t.assignee_id is not None}
    users = User.objects.only(*_LIST_USER_COLUMNS).in_bulk(user_ids) if user_ids else {}
    team_ids = {t.team_id for t in tickets if t.team_id is not None}
    teams = Team.objects.only("code", "name").in_bulk(team_ids) if team_ids else {}
    category_ids = {t.category_id for t in tickets if t.category_id is not None}
    categories = Category.objects.only("code", "name").in_bulk(category_ids) if category_ids else {}
    for ticket in tickets:
        _cache(ticket, "requester", users.get(ticket.requester_id))
        _cache(ticket, "assignee", users.get(ticket.assignee_id) if ticket.assignee_id is not None else None)
        _cache(ticket, "team", teams.get(ticket.team_id) if ticket.team_id is not None else None)
        _cache(ticket, "category", categories.get(ticket.category_id) if ticket.category_id is not None else None)
    if "organization" in also:
        organization_ids = {t.organization_id for t in tickets if t.organization_id is not None}
        organizations = Organization.objects.only("name").in_bulk(organization_ids) if organization_ids else {}
        for ticket in tickets:
            organization = organizations.get(ticket.organization_id) if ticket.organization_id is not None else None
            _cache(ticket, "organization", organization)


def _cache(ticket: Ticket, name: str, related: Model | None) -> None:
    Ticket._meta.get_field(name).set_cached_value(ticket, related)  # type: ignore[union-attr]


# One resumable ordering per ticket-list ordering name.
TICKET_KEYSETS = {name: Keyset(Ticket, name, fields) for name, fields in ORDERINGS.items()}
# Best match first: the rank is computed per query, so its pages go by offset.
RELEVANCE_PAGES = OffsetPages(RELEVANCE)


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
    not grow with the number of matching tickets (bench/README.md). For `RELEVANCE`, `tickets`
    must come ranked from `TicketFilterSet` (`ordering=relevance` with `q`); its order is kept.
    """
    if cursor and offset:
        raise ValidationFailed({"offset": [_("Use either a cursor or an offset, not both.")]})
    pages = RELEVANCE_PAGES if ordering == RELEVANCE else TICKET_KEYSETS[ordering]
    page = pages.page(ticket_list_rows(tickets, also=also), cursor=cursor, limit=limit, offset=offset)
    attach_list_relations(page.items, also=also)
    return TicketListPage(items=page.items, next_cursor=page.next_cursor, count=bounded_count(tickets))


def events_for(ticket: Ticket, user: User) -> QuerySet[TicketEvent]:
    """Return the timeline of `ticket` as `user` may see it, oldest first."""
    return (
        TicketEvent.objects.visible_to(user, by_key=True)
        .filter(ticket=ticket)
        .select_related("actor")
        .order_by("created_at", "id")
    )


def latest_events_for(ticket: Ticket, user: User, *, limit: int) -> tuple[list[TicketEvent], bool]:
    """Return the newest `limit` entries of `ticket`'s timeline as `user` may see it, oldest first,
    and whether older entries were left out (a long ticket's page shows what happened last)."""
    newest_first = list(events_for(ticket, user).reverse()[: limit + 1])
    return newest_first[:limit][::-1], len(newest_first) > limit


def attachments_for(ticket: Ticket, user: User) -> QuerySet[Attachment]:
    return Attachment.objects.visible_to(user, by_key=True).filter(ticket=ticket).order_by("created_at", "id")


def get_attachment_for_user(user: User, ticket: Ticket, attachment_id: int) -> Attachment:
    """Return one attachment of a visible ticket, hiding internal files from requesters (404)."""
    attachment = attachments_for(ticket, user).filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such attachment")
    return attachment


ACCESS_LOG_PAGE = 50


def may_read_access_log(user: User, ticket: Ticket) -> bool:
    """Who audits a ticket's readers: managers, administrators, auditors, and the leads of its team."""
    if not user.is_active or user.is_requester:
        return False
    if user.sees_all_tickets:
        return True
    return ticket.team_id is not None and user.memberships.filter(team_id=ticket.team_id, is_lead=True).exists()


def readable_access_log(user: User) -> QuerySet[TicketAccessLog]:
    """The access-log rows `user` may audit, for lists across tickets (the admin): `may_read_access_log`'s rule."""
    rows = TicketAccessLog.objects.all()
    if not user.is_active or user.is_requester:
        return rows.none()
    if user.sees_all_tickets:
        return rows
    return rows.filter(ticket__team__memberships__user=user, ticket__team__memberships__is_lead=True)


def access_log_for(user: User, ticket: Ticket, *, limit: int = ACCESS_LOG_PAGE) -> list[TicketAccessLog] | None:
    """The newest `limit` reads of `ticket` (staff views, API reads, downloads), or None if `user` may not see them."""
    if not may_read_access_log(user, ticket):
        return None
    rows = TicketAccessLog.objects.filter(ticket=ticket).select_related("user", "attachment")
    return list(rows.order_by("-accessed_at", "-pk")[:limit])
