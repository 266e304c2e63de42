"""Turning received alerts into incident tickets: create, note re-firing, record and optionally resolve.

One request is handled in one transaction with the source row locked, so two deliveries of the
same alert (Alertmanager retries a failed webhook; two replicas send the same group) never open
two tickets. Each alert is keyed by (source, fingerprint):

- firing, unknown: a new incident ticket (channel monitoring) filed by the source's service
  account, with the source's team, category and the priority its severity maps to;
- firing, known and firing since the same start: a repeat or a retry, nothing is written but the
  time it was last received;
- firing again (after resolved, or a new start): the count goes up and the timeline says so; a
  ticket already resolved or closed is not reopened, a new incident ticket mentions the old one;
- resolved: the end is recorded on the timeline and, with `auto_resolve`, the ticket resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from sopdesk.alerts.choices import AlertEventKind, AlertOutcome, AlertStatus
from sopdesk.alerts.models import Alert, AlertSource
from sopdesk.alerts.payloads import ReceivedAlert
from sopdesk.tickets.actions import (
    ClosureSummary,
    TicketDraft,
    changing_ticket_as_system,
    create_ticket,
    move_to_team,
    resolve_for_system,
    set_priority_for_system,
    ticket_touched,
)
from sopdesk.tickets.choices import Channel, Impact, Status, TicketType, Urgency
from sopdesk.tickets.events import new_event
from sopdesk.tickets.models import TEXT_MAX_LENGTH, TITLE_MAX_LENGTH, Ticket


@dataclass(frozen=True)
class AlertResult:
    fingerprint: str
    outcome: AlertOutcome
    ticket_number: str | None


def _description(alert: ReceivedAlert, source: AlertSource) -> str:
    lines = [alert.description] if alert.description else []
    lines.append(_("Source: %(name)s") % {"name": source.name})
    if alert.severity:
        lines.append(_("Severity: %(severity)s") % {"severity": alert.severity})
    if alert.starts_at is not None:
        lines.append(_("Started at: %(time)s") % {"time": alert.starts_at.isoformat()})
    lines += [f"{key}={value}" for key, value in sorted(alert.labels.items())]
    return "\n".join(lines)[:TEXT_MAX_LENGTH]


def _timeline_note(ticket: Ticket, kind: AlertEventKind, *, alert: Alert, body: str, now: datetime) -> None:
    """Write an alert entry on `ticket` through the system path (the source acts for nobody in the desk)."""
    with changing_ticket_as_system(ticket):
        event = new_event(
            ticket,
            kind,
            actor=None,
            now=now,
            body=body,
            is_internal=True,
            data={"alert": alert.pk, "fingerprint": alert.fingerprint, "fire_count": alert.fire_count},
        )
        event.save(force_insert=True)
        ticket_touched(ticket, now=now)


def _open_incident(source: AlertSource, received: ReceivedAlert, *, now: datetime, previous: Ticket | None) -> Ticket:
    description = _description(received, source)
    if previous is not None:
        description = (
            _("The alert fired again after incident %(number)s was finished.") % {"number": previous.number}
            + "\n"
            + description
        )[:TEXT_MAX_LENGTH]
    draft = TicketDraft(
        details={
            "title": received.name[:TITLE_MAX_LENGTH],
            "description": description,
            "channel": Channel.MONITORING,
            "ticket_type": TicketType.FAULT,
            "impact": Impact.MULTIPLE_USERS,
            "urgency": Urgency.HIGH,
            "occurred_at": received.starts_at,
        },
        category=source.category,
    )
    service_user = source.service_user
    ticket = create_ticket(actor=service_user, requester=service_user, draft=draft, now=now)
    priority = source.priority_for(received.severity)
    reason = _("Alert severity “%(severity)s” from %(source)s.") % {
        "severity": received.severity or "-",
        "source": source.name,
    }
    set_priority_for_system(ticket, priority=priority, now=now, reason=reason)
    if source.team is not None and ticket.team_id != source.team_id:
        move_to_team(ticket, team=source.team, now=now, reason=_("Alert source %(name)s.") % {"name": source.name})
    return ticket


def _fired(source: AlertSource, received: ReceivedAlert, *, now: datetime) -> AlertResult:
    alert = Alert.objects.filter(source=source, fingerprint=received.fingerprint).select_related("ticket").first()
    starts_at = received.starts_at or now
    if alert is None:
        ticket = _open_incident(source, received, now=now, previous=None)
        alert = Alert(
            source=source,
            fingerprint=received.fingerprint,
            ticket=ticket,
            status=AlertStatus.FIRING,
            name=received.name,
            severity=received.severity,
            labels=received.labels,
            annotations=received.annotations,
            starts_at=starts_at,
            first_received_at=now,
            last_received_at=now,
        )
        alert.save(force_insert=True)
        _timeline_note(ticket, AlertEventKind.ALERT_FIRING, alert=alert, body=received.name, now=now)
        return AlertResult(alert.fingerprint, AlertOutcome.CREATED, ticket.number)
    is_repeat = alert.status == AlertStatus.FIRING and (received.starts_at is None or alert.starts_at == starts_at)
    alert.last_received_at = now
    if is_repeat:
        alert.save(update_fields=["last_received_at"])
        return AlertResult(alert.fingerprint, AlertOutcome.DUPLICATE, alert.ticket.number)
    alert.fire_count += 1
    alert.status = AlertStatus.FIRING
    alert.starts_at = starts_at
    alert.ends_at = None
    alert.severity = received.severity
    alert.labels = received.labels
    alert.annotations = received.annotations
    outcome = AlertOutcome.REFIRED
    if alert.ticket.status in (Status.RESOLVED, Status.CLOSED):
        previous = alert.ticket
        alert.ticket = _open_incident(source, received, now=now, previous=previous)
        outcome = AlertOutcome.CREATED
    alert.save()
    body = _("Fired again (%(count)d times in all): %(name)s") % {"count": alert.fire_count, "name": received.name}
    _timeline_note(alert.ticket, AlertEventKind.ALERT_REFIRED, alert=alert, body=body, now=now)
    return AlertResult(alert.fingerprint, outcome, alert.ticket.number)


def _resolved(source: AlertSource, received: ReceivedAlert, *, now: datetime) -> AlertResult:
    alert = Alert.objects.filter(source=source, fingerprint=received.fingerprint).select_related("ticket").first()
    if alert is None:
        return AlertResult(received.fingerprint, AlertOutcome.IGNORED, None)
    alert.last_received_at = now
    if alert.status == AlertStatus.RESOLVED:
        alert.save(update_fields=["last_received_at"])
        return AlertResult(alert.fingerprint, AlertOutcome.DUPLICATE, alert.ticket.number)
    alert.status = AlertStatus.RESOLVED
    alert.ends_at = received.ends_at or now
    alert.save(update_fields=["status", "ends_at", "last_received_at"])
    body = _("The monitoring system reports the alert resolved at %(time)s.") % {"time": alert.ends_at.isoformat()}
    _timeline_note(alert.ticket, AlertEventKind.ALERT_RESOLVED, alert=alert, body=body, now=now)
    if source.auto_resolve:
        resolve_for_system(
            alert.ticket,
            on_behalf_of=source.service_user,
            closure=ClosureSummary(
                problem=alert.name,
                diagnosis=_("Reported by the monitoring source %(name)s.") % {"name": source.name},
                solution=body,
            ),
            reason=_("The alert was resolved; the source resolves its tickets automatically."),
            now=now,
        )
    return AlertResult(alert.fingerprint, AlertOutcome.RESOLVED, alert.ticket.number)


def receive_alerts(source: AlertSource, alerts: list[ReceivedAlert], *, now: datetime) -> list[AlertResult]:
    """Apply the checked `alerts` of one request from `source`, all or none, and say what each did."""
    with transaction.atomic():
        # One request of a source at a time: the second delivery of an alert sees the first's row.
        AlertSource.objects.select_for_update().filter(pk=source.pk).first()
        return [
            _fired(source, received, now=now)
            if received.status == AlertStatus.FIRING
            else _resolved(source, received, now=now)
            for received in alerts
        ]
