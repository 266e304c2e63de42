"""Reading phone calls: a ticket's calls and the "answered within 30 s" figure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Q, QuerySet

from sopdesk.accounts.models import User
from sopdesk.calls.choices import CallDirection
from sopdesk.calls.models import PhoneCall
from sopdesk.tickets.models import Ticket
from sopdesk.tickets.querysets import ticket_visibility_q

# The SOP's "three rings": a phone call is answered within 30 seconds.
DEFAULT_ANSWER_TARGET = timedelta(seconds=30)


def calls_of(ticket: Ticket) -> QuerySet[PhoneCall]:
    """Return the calls logged on `ticket`, oldest first, with their agents."""
    return PhoneCall.objects.filter(ticket=ticket).select_related("agent").order_by("ring_at", "pk")


def calls_visible_to(user: User) -> QuerySet[PhoneCall]:
    """Return the calls on the tickets staff member `user` may see (none for requesters)."""
    if user.is_requester or not user.is_active:
        return PhoneCall.objects.none()
    condition = ticket_visibility_q(user, prefix="ticket__")
    calls = PhoneCall.objects.all()
    return calls if condition is None else calls.filter(condition)


@dataclass(frozen=True)
class AnswerFigures:
    """How many inbound calls rang, were answered, and were answered within the target."""

    rang_count: int
    answered_count: int
    answered_in_time_count: int
    target_seconds: int

    @property
    def rate(self) -> float | None:
        """Return the share of inbound calls answered within the target (None without calls)."""
        return self.answered_in_time_count / self.rang_count if self.rang_count else None


def answer_figures(
    calls: QuerySet[PhoneCall], *, since: datetime, until: datetime, target: timedelta = DEFAULT_ANSWER_TARGET
) -> AnswerFigures:
    """Return the answer figures of the inbound `calls` that rang in [since, until), in one query."""
    totals = calls.filter(direction=CallDirection.INBOUND, ring_at__gte=since, ring_at__lt=until).aggregate(
        rang=Count("pk"),
        answered=Count("pk", filter=Q(answered_at__isnull=False)),
        in_time=Count("pk", filter=Q(answered_at__lte=F("ring_at") + target)),
    )
    return AnswerFigures(
        rang_count=totals["rang"],
        answered_count=totals["answered"],
        answered_in_time_count=totals["in_time"],
        target_seconds=int(target.total_seconds()),
    )
