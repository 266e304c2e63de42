"""The ticket timeline as people read it: one sentence per event, names resolved in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from sopdesk.accounts.models import Team, User
from sopdesk.alerts.choices import AlertEventKind
from sopdesk.calls.choices import CallEventKind
from sopdesk.calls.wording import call_summary
from sopdesk.casework.choices import CaseworkEventKind, VerificationOutcome
from sopdesk.collaboration.choices import CollaborationEventKind
from sopdesk.mail.queries import mails_by_event
from sopdesk.routing import wording as routing_wording
from sopdesk.routing.choices import RoutingEventKind
from sopdesk.sla.choices import Metric, SlaEventKind
from sopdesk.tickets.attachments import INLINE_IMAGE_TYPES
from sopdesk.tickets.choices import EventKind, Priority, Status
from sopdesk.tickets.events import kind_label
from sopdesk.tickets.models import Attachment, TicketEvent
from sopdesk.workforce.choices import Strategy, WorkforceEventKind

# How an entry looks: a speech bubble for conversation, a yellow note, or a one-line system entry.
REPLY, NOTE, SYSTEM, ALERT = "reply", "note", "system", "alert"
_STYLES = {
    EventKind.PUBLIC_REPLY: REPLY,
    EventKind.INTERNAL_NOTE: NOTE,
    SlaEventKind.SLA_WARNING: ALERT,
    SlaEventKind.SLA_BREACHED: ALERT,
    SlaEventKind.SLA_ESCALATED: ALERT,
    RoutingEventKind.MAJOR_INCIDENT: ALERT,
    AlertEventKind.ALERT_FIRING: ALERT,
    AlertEventKind.ALERT_REFIRED: ALERT,
}


@dataclass(frozen=True)
class TimelineEntry:
    event: TicketEvent
    label: str
    summary: str  # plain text; the template escapes it
    style: str
    attachment: Attachment | None = None  # the file an "attachment added" entry names, if visible
    is_image: bool = False
    mail_id: int | None = None  # the inbound mail this entry came from (creation or reply by e-mail)


def _choice_label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _metric(value: Any) -> str:
    return _choice_label(Metric, value)


class _Names:
    """Team and user names for the ids the events mention, read with two queries."""

    def __init__(self, events: Sequence[TicketEvent]) -> None:
        team_ids: set[int] = set()
        user_ids: set[int] = set()
        for event in events:
            if event.kind == EventKind.ASSIGNED:
                team_ids.update(v for v in (event.data.get("team") or {}).values() if isinstance(v, int))
                user_ids.update(v for v in (event.data.get("assignee") or {}).values() if isinstance(v, int))
            elif event.kind in WorkforceEventKind.values:
                team_ids.update(
                    v for v in (event.data.get("team"), event.data.get("backup_team")) if isinstance(v, int)
                )
                user_ids.update(v for v in (event.data.get("assignee"),) if isinstance(v, int))
        self.teams = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name")) if team_ids else {}
        users = User.objects.filter(pk__in=user_ids) if user_ids else User.objects.none()
        self.users = {user.pk: str(user) for user in users.only("username", "display_name", "first_name", "last_name")}

    def team(self, pk: Any) -> str:
        return self.teams.get(pk, "—") if pk is not None else "—"

    def user(self, pk: Any) -> str:
        return self.users.get(pk, "—") if pk is not None else _("nobody")


def _summary(event: TicketEvent, names: _Names) -> str:
    data = event.data or {}
    kind = event.kind
    if kind == EventKind.CREATED:
        return _("Created with priority %(priority)s.") % {"priority": _choice_label(Priority, data.get("priority"))}
    if kind in (EventKind.STATUS_CHANGED, EventKind.REOPENED):
        return _("%(from)s → %(to)s") % {
            "from": _choice_label(Status, data.get("from")),
            "to": _choice_label(Status, data.get("to")),
        }
    if kind == EventKind.ASSIGNED:
        team, assignee = data.get("team") or {}, data.get("assignee") or {}
        return _("Team %(team)s, assignee %(assignee)s") % {
            "team": names.team(team.get("to")),
            "assignee": names.user(assignee.get("to")),
        }
    if kind == EventKind.PRIORITY_CHANGED:
        return _("%(from)s → %(to)s") % {
            "from": _choice_label(Priority, data.get("from")),
            "to": _choice_label(Priority, data.get("to")),
        }
    if kind == EventKind.DETAILS_CHANGED:
        return _("Changed: %(fields)s") % {"fields": ", ".join(sorted((data.get("changes") or {}).keys()))}
    if kind == EventKind.ATTACHMENT_ADDED:
        return str(data.get("name", ""))
    if kind in (
        SlaEventKind.SLA_WARNING,
        SlaEventKind.SLA_BREACHED,
        SlaEventKind.SLA_PAUSED,
        SlaEventKind.SLA_RESUMED,
        SlaEventKind.OVERDUE_REASON,
    ):
        return _metric(data.get("metric"))
    if kind in WorkforceEventKind.values:
        return _assignment_summary(kind, data, names)
    if kind in RoutingEventKind.values:
        return routing_wording.summary(kind, data)
    if kind == CallEventKind.PHONE_CALL_LOGGED:
        return call_summary(data)
    return _casework_summary(kind, data)


def _assignment_summary(kind: str, data: dict[str, Any], names: _Names) -> str:
    """Why automatic assignment chose whom it chose, or why nobody."""
    strategy = _choice_label(Strategy, data.get("strategy"))
    if kind == WorkforceEventKind.NOBODY_QUALIFIED:
        if data.get("backup_team") is not None:
            text = _("Nobody in %(team)s qualified (%(strategy)s); moved to the backup group %(backup)s.")
        else:
            text = _("Nobody in %(team)s qualified (%(strategy)s); the ticket waits unassigned.")
        return text % {
            "team": names.team(data.get("team")),
            "strategy": strategy,
            "backup": names.team(data.get("backup_team")),
        }
    values = {
        "assignee": names.user(data.get("assignee")),
        "strategy": strategy,
        "open": data.get("open_count", 0),
        "capacity": data.get("capacity", 0),
        "level": data.get("skill_level", 0),
        "count": data.get("candidates", 0),
    }
    if data.get("strategy") == Strategy.BEST_SKILL:
        return (
            _("Assigned to %(assignee)s by %(strategy)s: skill level %(level)s, %(open)s of %(capacity)s open tickets.")
            % values
        )
    if data.get("strategy") == Strategy.ROUND_ROBIN:
        return _("Assigned to %(assignee)s by %(strategy)s: next of %(count)s qualifying agents.") % values
    return _("Assigned to %(assignee)s by %(strategy)s: %(open)s of %(capacity)s open tickets.") % values


_REMOTE_KINDS = {
    CaseworkEventKind.REMOTE_REQUESTED,
    CaseworkEventKind.REMOTE_GRANTED,
    CaseworkEventKind.REMOTE_REFUSED,
    CaseworkEventKind.REMOTE_REVOKED,
}
_PLAN_KINDS = {CaseworkEventKind.PLAN_PROPOSED, CaseworkEventKind.PLAN_CONFIRMED, CaseworkEventKind.PLAN_REJECTED}


def _casework_summary(kind: str, data: dict[str, Any]) -> str:
    """The facts a casework entry carries in its data (its text, if any, is the entry's body)."""
    if kind in _REMOTE_KINDS:
        until = _instant(data.get("ends_at"))
        return _("%(method)s, until %(until)s") % {"method": data.get("method", ""), "until": until}
    if kind in _PLAN_KINDS:
        if data.get("scheduled_at"):
            return _("Version %(version)s, scheduled for %(when)s") % {
                "version": data.get("version"),
                "when": _instant(data.get("scheduled_at")),
            }
        return _("Version %(version)s") % {"version": data.get("version")}
    if kind == CaseworkEventKind.VERIFICATION_RECORDED:
        return _choice_label(VerificationOutcome, data.get("outcome"))
    if kind in CollaborationEventKind.values:
        return str(data.get("team_name", ""))  # the team asked; the entry's text is its body
    return ""


def _instant(value: Any) -> str:
    """An ISO 8601 instant from event data, in the viewer's time zone ("—" when missing or unreadable)."""
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        return "—"
    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")


def timeline_entries(
    events: Sequence[TicketEvent], *, attachments: QuerySet[Attachment] | None = None
) -> list[TimelineEntry]:
    """Entries for `events`; `attachments` (the viewer's visible ones) are read in one query if needed."""
    names = _Names(events)
    wanted = {event.data.get("attachment_id") for event in events if event.kind == EventKind.ATTACHMENT_ADDED} - {None}
    files = {item.pk: item for item in attachments.filter(pk__in=wanted)} if attachments is not None and wanted else {}
    # Only creations and public replies come by mail; a timeline of other entries costs no query.
    mails = mails_by_event(event.pk for event in events if event.kind in (EventKind.CREATED, EventKind.PUBLIC_REPLY))
    entries = []
    for event in events:
        attachment = files.get(event.data.get("attachment_id")) if event.kind == EventKind.ATTACHMENT_ADDED else None
        entries.append(
            TimelineEntry(
                event=event,
                label=str(kind_label(event.kind)),
                summary=_summary(event, names),
                style=_STYLES.get(event.kind, SYSTEM),  # type: ignore[call-overload]
                attachment=attachment,
                is_image=attachment is not None and attachment.content_type in INLINE_IMAGE_TYPES,
                mail_id=mails.get(event.pk),
            )
        )
    return entries
