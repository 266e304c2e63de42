"""Querysets carrying the one visibility rule for tickets, events and attachments (MISSION §12)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.db.models import Q, QuerySet

from sopdesk.core.models import AppendOnlyQuerySet, NoDeleteQuerySet

if TYPE_CHECKING:
    from sopdesk.accounts.models import User
    from sopdesk.tickets.models import Ticket


def team_ids_of(user: User) -> list[int]:
    """Return the ids of the teams `user` belongs to."""
    from sopdesk.accounts.models import TeamMembership

    return list(TeamMembership.objects.filter(user=user).values_list("team_id", flat=True))


def team_ids_subquery(user: User) -> QuerySet[Any]:
    """Return the ids of `user`'s teams as a subquery, evaluated inside the statement that uses it."""
    from sopdesk.accounts.models import TeamMembership

    return TeamMembership.objects.filter(user=user).values("team_id")


def ticket_visibility_q(user: User, *, prefix: str = "", by_key: bool = False) -> Q | None:
    """Return the filter for tickets `user` may see (None = everything), fields under `prefix`.

    `by_key`: the caller narrows the statement to one ticket by its key, so the user's teams are a
    subquery of that one statement. Lists keep the fetched ids: their plans (an index per team,
    ordered) are chosen for a known list of teams.
    """
    if user.sees_all_tickets:
        return None
    condition = Q(**{f"{prefix}requester": user})
    if user.is_requester:
        if user.organization_id is not None:
            condition |= Q(
                **{f"{prefix}organization_id": user.organization_id, f"{prefix}organization__shares_tickets": True}
            )
        return condition
    teams = team_ids_subquery(user) if by_key else team_ids_of(user)
    return condition | Q(**{f"{prefix}team_id__in": teams}) | Q(**{f"{prefix}assignee": user})


def ticket_keys(
    *, requester_id: int, organization_id: int | None, team_id: int | None, assignee_id: int | None
) -> list[str]:
    """Return a ticket's visibility keys: the values `ticket_visibility_q` compares, as words.

    The search index stores them with the ticket's text, so that the index itself can narrow its
    matches to what a viewer may see (`ticket_visibility_keys`). Search words are letters and
    digits only, so no query can name a key.
    """
    keys = [f"requester:{requester_id}"]
    if organization_id is not None:
        keys.append(f"organization:{organization_id}")
    if team_id is not None:
        keys.append(f"team:{team_id}")
    if assignee_id is not None:
        keys.append(f"assignee:{assignee_id}")
    return keys


def ticket_visibility_keys(user: User) -> list[str] | None:
    """Return the keys (`ticket_keys`) of which a ticket `user` may see has at least one; None: every ticket.

    The key form of `ticket_visibility_q` for indexes that cannot join: a ticket with none of these
    keys is not visible to `user`; one with a key may still not be (the index can be behind a
    change), so callers apply `visible_to` to what the keys found. Empty: nothing is visible.
    """
    if not user.is_authenticated or not user.is_active:
        return []
    if user.sees_all_tickets:
        return None
    keys = [f"requester:{user.pk}"]
    if user.is_requester:
        if user.organization_id is not None:
            from sopdesk.accounts.models import Organization

            if Organization.objects.filter(pk=user.organization_id, shares_tickets=True).exists():
                keys.append(f"organization:{user.organization_id}")
        return keys
    return [*keys, *(f"team:{team_id}" for team_id in team_ids_of(user)), f"assignee:{user.pk}"]


class TicketQuerySet(NoDeleteQuerySet):
    def visible_to(self, user: User, *, by_key: bool = False) -> Self:
        """Return the tickets `user` may read.

        Requesters: their own (and their organisation's where it shares); agents: their teams'
        and those assigned to them; managers, admins and auditors: all. `by_key=True` when the
        caller narrows to one ticket by id or number: one statement instead of two
        (`ticket_visibility_q`).
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        condition = ticket_visibility_q(user, by_key=by_key)
        return self if condition is None else self.filter(condition)

    def writable_by(self, user: User, *, by_key: bool = False) -> Self:
        """Return the tickets `user` may change (requesters only their own; read-only roles none)."""
        if _changes_no_ticket(user):
            return self.none()
        if user.is_requester:
            return self.filter(requester=user)
        return self.visible_to(user, by_key=by_key)


def _changes_no_ticket(user: User) -> bool:
    return not user.is_authenticated or not user.is_active or user.is_read_only


def may_write_ticket(ticket: Ticket, user: User) -> bool:
    """`Ticket.objects.writable_by(user)` for one ticket loaded in this request.

    The same rule, evaluated on the loaded row: only staff who do not see every ticket need the
    database (their teams). A ticket's answer names the moves its reader may make, so every ticket
    page and API answer asks this.
    """
    if _changes_no_ticket(user):
        return False
    if user.is_requester:  # writable_by: their own
        return ticket.requester_id == user.pk
    # Staff change what they see (writable_by -> visible_to): no condition means every ticket.
    condition = ticket_visibility_q(user, by_key=True)
    return condition is None or type(ticket).objects.filter(condition, pk=ticket.pk).exists()


class TicketChildVisibilityMixin:
    """Visibility of rows that hang off a ticket; internal ones only for staff."""

    def visible_to(self, user: User, *, by_key: bool = False) -> Self:
        """Return the rows of tickets `user` may see; internal rows only for staff.

        `by_key=True` when the caller narrows to one ticket's rows (`ticket_visibility_q`).
        """
        rows = self.all()  # type: ignore[attr-defined]
        if not user.is_authenticated or not user.is_active:
            return rows.none()  # type: ignore[no-any-return]
        if user.is_requester:
            rows = rows.filter(is_internal=False)
        condition = ticket_visibility_q(user, prefix="ticket__", by_key=by_key)
        return rows if condition is None else rows.filter(condition)  # type: ignore[no-any-return]


class TicketEventQuerySet(TicketChildVisibilityMixin, AppendOnlyQuerySet):
    """Timeline events: append-only, internal ones hidden from requesters."""


class AttachmentQuerySet(TicketChildVisibilityMixin, NoDeleteQuerySet):
    """Attachments follow the same rule as events (internal ones are staff-only)."""
