"""Breach lists: which of a team's open tickets have SLA clocks breached or in warning, most overdue first.

The state is computed in the query, as the tickets' SLA snapshots read it, so that the list can be
counted and paginated in the database.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.db.models import Case, DateTimeField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Least
from django.utils.translation import gettext as _

from sopdesk.accounts.models import User
from sopdesk.core.errors import PermissionRefused
from sopdesk.sla.clocks import CLOCK_METRICS
from sopdesk.sla.queries import breaching_tickets, running_clock
from sopdesk.tickets.models import Ticket

BreachState = Literal["breached", "warning", "all"]

# Stands in for "no running clock" so that the earliest due instant can be taken on every database.
_NEVER = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
_RANKS: dict[str, list[int]] = {"breached": [2], "warning": [1], "all": [1, 2]}


def check_may_list_breaches(user: User) -> None:
    """Refuse requesters: breach lists are for staff."""
    if user.is_requester:
        raise PermissionRefused(_("Only staff may list SLA breaches."))


def breach_rows(tickets: QuerySet[Ticket], *, state: BreachState, now: dt.datetime) -> QuerySet[Ticket]:
    """Narrow `tickets` to those in `state` (as their SLA snapshot reads it), most overdue clock first."""
    breached, warning = Q(), Q()
    for metric in CLOCK_METRICS:
        name = metric.value
        late = Q(**{f"sla__{name}_breached_at__isnull": False}) | Q(**{f"sla__{name}_due_at__lte": now})
        breached |= running_clock(metric) & late
        warning |= running_clock(metric) & Q(**{f"sla__{name}_warned_at__isnull": False})
    rows = breaching_tickets(tickets, now=now).annotate(
        sla_rank=Case(
            When(breached, then=Value(2)), When(warning, then=Value(1)), default=0, output_field=IntegerField()
        ),
        most_urgent_due_at=Least(
            *(
                Case(
                    When(running_clock(metric), then=F(f"sla__{metric.value}_due_at")),
                    default=Value(_NEVER),
                    output_field=DateTimeField(),
                )
                for metric in CLOCK_METRICS
            )
        ),
    )
    return rows.filter(sla_rank__in=_RANKS[state]).order_by("most_urgent_due_at", "pk")
