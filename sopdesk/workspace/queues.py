"""The agent's queues: named, fixed slices of the tickets a staff member may see.

Every queue starts from `Ticket.objects.visible_to(user)`, so a queue can never show more than the
visibility rule allows; the queues only narrow it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sopdesk.accounts.models import User
from sopdesk.core.pagination import BoundedCount, bounded_count
from sopdesk.sla import clocks
from sopdesk.sla.queries import running_clock
from sopdesk.tickets.choices import Status
from sopdesk.tickets.filters import ORDERINGS, RELEVANCE
from sopdesk.tickets.models import OPEN_STATUS_CONDITION, Ticket
from sopdesk.tickets.querysets import team_ids_of

RECENT_WINDOW = timedelta(hours=24)

# The filter parameters a queue page understands (the rest of the query string is ignored).
MULTI_FILTERS = ("status", "priority", "channel", "ticket_type")
SINGLE_FILTERS = (
    "q",
    "team",
    "assignee",
    "category",
    "organization",
    "customer_level",
    "tag",
    "created_after",
    "created_before",
    "updated_after",
    "updated_before",
)


def filter_params(query: QueryDict) -> QueryDict:
    """Return the known, non-empty filter parameters of `query` (values trimmed)."""
    data = QueryDict(mutable=True)
    for name in MULTI_FILTERS:
        values = [value.strip() for value in query.getlist(name) if value.strip()]
        if values:
            data.setlist(name, values)
    for name in SINGLE_FILTERS:
        value = query.get(name, "").strip()
        if value:
            data[name] = value
    return data


def queue_params(query: QueryDict) -> QueryDict:
    """Return the filters and a known ordering of `query`: what a saved view or a page link keeps."""
    data = filter_params(query)
    ordering = query.get("ordering")
    if ordering in ORDERINGS or (ordering == RELEVANCE and "q" in data):
        data["ordering"] = ordering
    return data


def _open(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    # The partial indexes' own condition, so both databases walk the open tickets of a team or an
    # assignee in order (tickets.models.OPEN_STATUS_CONDITION).
    return tickets.filter(OPEN_STATUS_CONDITION)


def _late(*, breached: bool, now: datetime) -> Q:
    """Open tickets with a running clock that is breached (or, `breached` False, warned but not breached)."""
    condition = Q()
    for metric in clocks.CLOCK_METRICS:
        name = metric.value
        if breached:
            late = Q(**{f"sla__{name}_breached_at__isnull": False}) | Q(**{f"sla__{name}_due_at__lte": now})
        else:
            late = Q(**{f"sla__{name}_warned_at__isnull": False, f"sla__{name}_breached_at__isnull": True}) & Q(
                **{f"sla__{name}_due_at__gt": now}
            )
        condition |= running_clock(metric) & late
    return condition


@dataclass(frozen=True)
class Viewer:
    """Who looks at the queues, with what every queue needs looked up once per request."""

    user: User
    team_ids: list[int]
    visible: QuerySet[Ticket]

    @classmethod
    def of(cls, user: User) -> Viewer:
        return cls(user=user, team_ids=team_ids_of(user), visible=Ticket.objects.visible_to(user))


@dataclass(frozen=True)
class Queue:
    slug: str
    label: str | Promise
    icon: str  # a Tabler icon name
    select: Callable[[QuerySet[Ticket], Viewer, datetime], QuerySet[Ticket]]
    default_ordering: str = "-updated_at"
    alarming: bool = False  # a non-zero count is shown in red


QUEUES: tuple[Queue, ...] = (
    Queue("mine", _("My open tickets"), "user", lambda t, viewer, now: _open(t).filter(assignee=viewer.user)),
    Queue(
        "teams",
        _("My teams' open tickets"),
        "users",
        lambda t, viewer, now: _open(t).filter(team_id__in=viewer.team_ids),
    ),
    Queue(
        "unassigned", _("Unassigned"), "user-question", lambda t, viewer, now: _open(t).filter(assignee__isnull=True)
    ),
    Queue(
        "warning",
        _("About to breach"),
        "alarm",
        lambda t, viewer, now: _open(t).filter(_late(breached=False, now=now)),
        alarming=True,
    ),
    Queue(
        "breached",
        _("Breached"),
        "alert-triangle",
        lambda t, viewer, now: _open(t).filter(_late(breached=True, now=now)),
        alarming=True,
    ),
    Queue(
        "pending",
        _("Pending customer"),
        "hourglass",
        lambda t, viewer, now: t.filter(status=Status.PENDING_CUSTOMER),
    ),
    Queue(
        "recent", _("Recently updated"), "history", lambda t, viewer, now: t.filter(updated_at__gte=now - RECENT_WINDOW)
    ),
    Queue("all", _("Everything I may see"), "list", lambda t, viewer, now: t, default_ordering="-created_at"),
)
QUEUES_BY_SLUG = {queue.slug: queue for queue in QUEUES}
DEFAULT_QUEUE = "mine"


def queue_tickets(queue: Queue, viewer: Viewer, *, now: datetime) -> QuerySet[Ticket]:
    """Return the tickets of `queue` as the viewer may see them (unordered)."""
    return queue.select(viewer.visible, viewer, now)


def queue_counts(viewer: Viewer, *, now: datetime) -> dict[str, BoundedCount]:
    """Return each queue's count, bounded so the cost does not grow with the desk."""
    return {queue.slug: bounded_count(queue_tickets(queue, viewer, now=now)) for queue in QUEUES}
