"""What the workspace shows of a ticket: the most urgent clock, badges' colours, clock sentences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

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
