"""What the workspace shows of a ticket: the most urgent clock, badges' colours, clock sentences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sopdesk.sla.choices import ClockState, Metric
from sopdesk.sla.clocks import MetricView
from sopdesk.sla.queries import SlaSnapshot
from sopdesk.sla.wording import clock_words, duration_words
from sopdesk.tickets.choices import Priority, Status

# Tabler colour names per priority and status: colour is never the only signal (the text is shown too).
PRIORITY_COLOURS: dict[str, str] = {
    Priority.P1: "red",
    Priority.P2: "orange",
    Priority.P3: "blue",
    Priority.P4: "secondary",
}
STATUS_COLOURS: dict[str, str] = {
    Status.NEW: "azure",
    Status.ASSIGNED: "indigo",
    Status.IN_PROGRESS: "blue",
    Status.PENDING_CUSTOMER: "yellow",
    Status.PENDING_CONFIRMATION: "lime",
    Status.RESOLVED: "green",
    Status.CLOSED: "secondary",
}
CLOCK_COLOURS: dict[str, str] = {
    ClockState.OK: "green",
    ClockState.WARNING: "orange",
    ClockState.BREACHED: "red",
    ClockState.PAUSED: "secondary",
}
# Phrases the page's scripts need, from the same catalogue entries the server uses.
SCRIPT_PHRASES = {
    "due-in": gettext_lazy("due in %(left)s"),
    "overdue": gettext_lazy("overdue %(late)s"),
    "days": gettext_lazy("%(count)d d"),
    "hours": gettext_lazy("%(count)d h"),
    "minutes": gettext_lazy("%(count)d min"),
}
_RUNNING = (ClockState.OK, ClockState.WARNING, ClockState.BREACHED)


@dataclass(frozen=True)
class UrgentClock:
    """The one clock a queue row shows: what it measures, its state and when it falls due."""

    metric: Metric
    state: ClockState
    due_at: datetime | None
    colour: str
    words: str  # the server's rendering; the browser keeps it current from `due_at`


def most_urgent_clock(snapshot: SlaSnapshot, *, now: datetime) -> UrgentClock | None:
    """Return the running clock that falls due first (breached ones first), else a paused one, else None."""
    running = [view for view in snapshot.metrics if view.state in _RUNNING and view.due_at is not None]
    if running:
        view = min(running, key=lambda v: (v.state != ClockState.BREACHED, v.due_at))
    else:
        paused = [view for view in snapshot.metrics if view.state == ClockState.PAUSED]
        if not paused:
            return None
        view = paused[0]
    return UrgentClock(
        metric=Metric(view.metric),
        state=ClockState(view.state),
        due_at=view.due_at,
        colour=CLOCK_COLOURS[ClockState(view.state)],
        words=countdown_words(view, now=now),
    )


def countdown_words(view: MetricView, *, now: datetime) -> str:
    """Return "due in 25 min" / "overdue 1 h 10 min" / "paused" for one clock, in wall-clock time."""
    if view.state == ClockState.PAUSED:
        return str(_("paused"))
    if view.due_at is None:
        return ""
    if view.due_at >= now:
        return _("due in %(left)s") % {"left": duration_words(view.due_at - now)}
    return _("overdue %(late)s") % {"late": duration_words(now - view.due_at)}


def clock_sentences(snapshot: SlaSnapshot, *, zone: ZoneInfo) -> list[tuple[MetricView, str, str]]:
    """Return each shown clock with its sentence and colour, for the ticket page."""
    return [
        (view, clock_words(view, zone=zone), CLOCK_COLOURS.get(ClockState(view.state), "secondary"))
        for view in snapshot.metrics
        if view.state != ClockState.NONE
    ]


@dataclass(frozen=True)
class QueueRow:
    """One queue row with every shown value computed once: the row template only reads attributes.

    Rendering 50 rows through template lookups, filters and `{% url %}` cost more than the
    queries of the page (bench/README.md, workspace pages).
    """

    number: str
    url: str
    title: str
    context: str  # number, category and team
    requester: str
    organization: str
    priority: str
    priority_colour: str
    status: str
    status_colour: str
    assignee: str
    updated_iso: str
    updated_text: str
    clock: UrgentClock | None
    clock_due_iso: str


def _person(user: object) -> str:
    return "" if user is None else str(user)  # User.__str__: display name, full name or username


def queue_rows(
    tickets: list[Any], snapshots: dict[int, SlaSnapshot], *, ticket_url: str, now: datetime
) -> list[QueueRow]:
    """Shape a page of tickets for the queue table; `ticket_url` has "NUMBER" where the number goes."""
    status_labels = dict(Status.choices)
    rows = []
    for ticket in tickets:
        clock = most_urgent_clock(snapshots[ticket.pk], now=now)
        parts = [ticket.number]
        if ticket.category is not None:
            parts.append(ticket.category.name)
        if ticket.team is not None:
            parts.append(ticket.team.name)
        organization = getattr(ticket, "organization", None)
        updated = timezone.localtime(ticket.updated_at)
        rows.append(
            QueueRow(
                number=ticket.number,
                url=ticket_url.replace("NUMBER", quote(ticket.number, safe="")),
                title=ticket.title,
                context=" · ".join(parts),
                requester=_person(ticket.requester),
                organization=organization.name if organization is not None else "",
                priority=ticket.priority,
                priority_colour=PRIORITY_COLOURS.get(ticket.priority, "secondary"),
                status=str(status_labels.get(ticket.status, ticket.status)),
                status_colour=STATUS_COLOURS.get(ticket.status, "secondary"),
                assignee=_person(ticket.assignee),
                updated_iso=updated.isoformat(),
                updated_text=updated.strftime("%Y-%m-%d %H:%M"),
                clock=clock,
                clock_due_iso=clock.due_at.isoformat() if clock and clock.due_at and clock.state != "paused" else "",
            )
        )
    return rows
