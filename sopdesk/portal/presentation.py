"""What the portal shows of a request, in plain words for people who are not technical.

Status names here are the requester's view of the lifecycle: they say whose turn it is and what
happens next, never how staff route the work. Timeline entries are built from the events the
requester may see (`TicketEvent.objects.visible_to`); staff-only data never reaches them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sopdesk.casework.choices import CaseworkEventKind
from sopdesk.tickets.choices import EventKind, RequesterStage, Status, requester_stage
from sopdesk.tickets.events import kind_label
from sopdesk.tickets.models import Attachment, Ticket, TicketEvent


@dataclass(frozen=True)
class PlainStatus:
    """A status as the requester reads it: a short label, a colour, what happens next, whose turn it is."""

    label: Promise
    colour: str
    next_step: Promise
    is_waiting_for_you: bool


RECEIVED = PlainStatus(
    gettext_lazy("Received"),
    "azure",
    gettext_lazy("We have received your request; someone from the support team will look at it soon."),
    False,
)
WORKED_ON = PlainStatus(
    gettext_lazy("Being worked on"),
    "blue",
    gettext_lazy("The support team is working on it. You will see their answers here."),
    False,
)
WAITING = PlainStatus(
    gettext_lazy("Waiting for you"),
    "yellow",
    gettext_lazy("We are waiting for your answer. Reply below; we continue as soon as you do."),
    True,
)
SOLVED = PlainStatus(
    gettext_lazy("Solved — please confirm"),
    "green",
    gettext_lazy("We think this is solved. Please confirm, or tell us what is still wrong."),
    True,
)
CLOSED = PlainStatus(
    gettext_lazy("Closed"),
    "secondary",
    gettext_lazy("This request is closed. If the problem comes back, ask for help again."),
    False,
)
# The words of each stage; which status is in which stage is the tickets app's (REQUESTER_STAGES).
PLAIN_STAGES: dict[str, PlainStatus] = {
    RequesterStage.RECEIVED: RECEIVED,
    RequesterStage.WORKED_ON: WORKED_ON,
    RequesterStage.WAITING: WAITING,
    RequesterStage.SOLVED: SOLVED,
    RequesterStage.CLOSED: CLOSED,
}


def plain_status(status: str) -> PlainStatus:
    """Return the requester's words for `status`."""
    return PLAIN_STAGES[requester_stage(status)]


def local_time(moment: Any) -> str:
    """`moment` in the viewer's time zone as "2026-10-08 09:30"."""
    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")


@dataclass(frozen=True)
class RequestCard:
    """One request of the list, every shown value computed once."""

    number: str
    url: str
    title: str
    status: PlainStatus
    updated_iso: str
    updated_text: str
    is_mine: bool


def request_cards(tickets: Iterable[Ticket], *, request_url: str, viewer_id: int) -> list[RequestCard]:
    """Shape a page of requests; `request_url` has "NUMBER" where the number goes."""
    cards = []
    for ticket in tickets:
        updated = timezone.localtime(ticket.updated_at)
        cards.append(
            RequestCard(
                number=ticket.number,
                url=request_url.replace("NUMBER", quote(ticket.number, safe="")),
                title=ticket.title,
                status=plain_status(ticket.status),
                updated_iso=updated.isoformat(),
                updated_text=local_time(updated),
                is_mine=ticket.requester_id == viewer_id,
            )
        )
    return cards


# How an entry looks: a speech bubble from the requester's side or the support team's, or one line.
MINE, THEIRS, SYSTEM = "mine", "theirs", "system"


@dataclass(frozen=True)
class PortalEntry:
    event: TicketEvent
    label: str
    summary: str  # plain text; the template escapes it
    style: str
    author: str
    when: str
    attachment: Attachment | None = None


def _status_words(value: Any) -> str:
    return str(plain_status(value).label) if value in Status.values else ""


def _instant(value: Any) -> str:
    moment = parse_datetime(value) if isinstance(value, str) else None
    return local_time(moment) if moment is not None else "—"


def _summary(event: TicketEvent) -> str:
    data = event.data or {}
    kind = event.kind
    if kind == EventKind.CREATED:
        return _("You asked for help.") if not data.get("on_behalf") else _("The request was opened for you.")
    if kind in (EventKind.STATUS_CHANGED, EventKind.REOPENED):
        return _("Now: %(status)s") % {"status": _status_words(data.get("to"))}
    if kind in (CaseworkEventKind.REMOTE_REQUESTED, CaseworkEventKind.REMOTE_GRANTED):
        return _("%(method)s, until %(until)s") % {
            "method": data.get("method", ""),
            "until": _instant(data.get("ends_at")),
        }
    if kind in (CaseworkEventKind.PLAN_PROPOSED, CaseworkEventKind.PLAN_CONFIRMED, CaseworkEventKind.PLAN_REJECTED):
        return _("Plan version %(version)s") % {"version": data.get("version")}
    return ""


def timeline_entries(
    events: Sequence[TicketEvent], *, attachments: dict[int, Attachment], viewer_id: int
) -> list[PortalEntry]:
    """Entries for the requester's `events`; `attachments` are the viewer's visible files by id."""
    entries = []
    for event in events:
        attachment = (
            attachments.get(event.data.get("attachment_id") or 0) if event.kind == EventKind.ATTACHMENT_ADDED else None
        )
        if event.kind == EventKind.ATTACHMENT_ADDED and attachment is None:
            continue  # a file the requester may not open is not mentioned either
        if event.kind == EventKind.STATUS_CHANGED and requester_stage(event.data.get("from", "")) == requester_stage(
            event.data.get("to", "")
        ):
            continue  # assigned → in progress is "being worked on" twice: nothing changed for the requester
        if event.actor_id is None:
            author, style = str(_("automatic")), SYSTEM
        elif event.actor_id == viewer_id:
            author, style = str(_("You")), MINE
        else:
            # Staff speak as the support team: who handles a request is internal routing detail.
            author = (
                str(event.actor) if event.actor is not None and event.actor.is_requester else str(_("Support team"))
            )
            style = THEIRS
        if event.kind not in (EventKind.PUBLIC_REPLY, EventKind.ATTACHMENT_ADDED):
            style = SYSTEM
        entries.append(
            PortalEntry(
                event=event,
                label=str(kind_label(event.kind)),
                summary=_summary(event),
                style=style,
                author=author,
                when=local_time(event.created_at),
                attachment=attachment,
            )
        )
    return entries


def open_question(entries: Sequence[PortalEntry]) -> PortalEntry | None:
    """Return the support team's newest written reply in `entries` (oldest first), the one to answer."""
    for entry in reversed(entries):
        if entry.style == THEIRS and entry.event.kind == EventKind.PUBLIC_REPLY and entry.event.body:
            return entry
    return None
