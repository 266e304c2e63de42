"""The producers: ticket changes and SLA alerts become outbox messages for the robots and webhooks that want them.

Both followers run in the transaction of the change (the ticket action's, the SLA scanner's), so a
message exists exactly when its change committed; the outbox sends it after commit, with retries.
The active configuration is cached per process behind the configuration stamp: a ticket action
on a desk without robots or webhooks costs no query inside `config_cache.consistent()`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from sopdesk.accounts.models import User
from sopdesk.core.config_cache import StampedCache
from sopdesk.integrations.choices import IntegrationEvent
from sopdesk.integrations.models import ChatRobot, Webhook
from sopdesk.notifications.choices import DeliveryChannel, DeliveryStatus
from sopdesk.notifications.models import OUTBOX_KEY_MAX_LENGTH, SUBJECT_MAX_LENGTH, OutboxMessage
from sopdesk.notifications.outbox import are_notifications_suppressed, one_line
from sopdesk.notifications.tasks import schedule_delivery
from sopdesk.sla.choices import SlaEventKind
from sopdesk.tickets.choices import Difficulty, Priority
from sopdesk.tickets.events import EventRow
from sopdesk.tickets.models import Ticket

PAYLOAD_VERSION = 1


@dataclass(frozen=True)
class Destination:
    """An active robot or webhook as the producers need it: where its messages go and what it wants."""

    channel: str
    address: str
    team_id: int | None  # None: every team (webhooks only)
    events: frozenset[str]

    def wants(self, event: str, team_id: int | None) -> bool:
        return event in self.events and (self.team_id is None or self.team_id == team_id)


def _load_destinations() -> tuple[Destination, ...]:
    robots = [
        Destination(robot.platform, robot.address, robot.team_id, frozenset(robot.events))
        for robot in ChatRobot.objects.filter(is_active=True).only("pk", "platform", "team_id", "events")
    ]
    webhooks = [
        Destination(DeliveryChannel.WEBHOOK.value, webhook.address, webhook.team_id, frozenset(webhook.events))
        for webhook in Webhook.objects.filter(is_active=True).only("pk", "team_id", "events")
    ]
    return (*robots, *webhooks)


DESTINATIONS: StampedCache[tuple[Destination, ...]] = StampedCache(_load_destinations)


def ticket_url(number: str) -> str:
    return str(settings.SOPDESK_BASE_URL).rstrip("/") + reverse("workspace:ticket", args=[number])


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    """The ticket as a payload shows it (no requester details: chat groups are wider than the ticket's audience)."""
    return {
        "number": ticket.number,
        "title": ticket.title,
        "priority": ticket.priority,
        "status": ticket.status,
        "channel": ticket.channel,
        "difficulty": ticket.difficulty,
        "team": ticket.team.code if ticket.team_id is not None and ticket.team is not None else None,
        "assignee": ticket.assignee.username if ticket.assignee_id is not None and ticket.assignee else None,
        "created_at": ticket.created_at.isoformat(),
        "url": ticket_url(ticket.number),
    }


def payload(event: str, ticket: dict[str, Any], *, now: datetime, data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "version": PAYLOAD_VERSION,
        "event": event,
        "occurred_at": now.isoformat(),
        "ticket": ticket,
        "data": data or {},
    }


def outbox_messages(
    destinations: Iterable[Destination], event: str, body: dict[str, Any], *, occasion: str, now: datetime
) -> list[OutboxMessage]:
    """Return (unsaved) one outbox message per destination; `occasion` makes the key, so a re-run adds nothing."""
    text = json.dumps(body, ensure_ascii=False, sort_keys=True)
    ticket = body.get("ticket") or {}
    subject = one_line(f"[{ticket.get('number', '')}] {event}: {ticket.get('title', '')}")[:SUBJECT_MAX_LENGTH]
    return [
        OutboxMessage(
            channel=destination.channel,
            recipient=None,
            address=destination.address,
            subject=subject,
            body=text,
            dedupe_key=f"{destination.channel}:{destination.address}:{event}:{occasion}"[:OUTBOX_KEY_MAX_LENGTH],
            status=DeliveryStatus.PENDING,
            next_attempt_at=now,
            created_at=now,
        )
        for destination in destinations
    ]


def save_messages(messages: Sequence[OutboxMessage]) -> int:
    """Write `messages` in the caller's transaction (one statement) and deliver them after commit."""
    if not messages or are_notifications_suppressed():
        return 0
    # ignore_conflicts: the same occasion written before (a re-run, a concurrent writer) adds nothing.
    OutboxMessage.objects.bulk_create(messages, ignore_conflicts=True)
    transaction.on_commit(schedule_delivery, robust=True)
    return len(messages)


def _announce(ticket: Ticket, event: str, *, occasion: str, now: datetime, data: dict[str, Any] | None = None) -> None:
    wanting = [d for d in DESTINATIONS.get() if d.wants(event, ticket.team_id)]
    if wanting:
        body = payload(event, ticket_summary(ticket), now=now, data=data)
        save_messages(outbox_messages(wanting, event, body, occasion=occasion, now=now))


def _is_major(ticket: Ticket) -> bool:
    return ticket.priority == Priority.P1 or ticket.difficulty >= Difficulty.MAJOR


class IntegrationFollower:
    """Registered in IntegrationsConfig.ready(); runs in the ticket action's transaction."""

    def ticket_created(self, ticket: Ticket, *, now: datetime) -> None:
        _announce(ticket, IntegrationEvent.TICKET_CREATED, occasion=str(ticket.pk), now=now)
        if _is_major(ticket):
            _announce(ticket, IntegrationEvent.MAJOR_INCIDENT, occasion=str(ticket.pk), now=now)

    def ticket_assigned(self, ticket: Ticket, *, now: datetime) -> None:
        _announce(ticket, IntegrationEvent.TICKET_ASSIGNED, occasion=f"{ticket.pk}:{now.timestamp()}", now=now)

    def public_reply_added(self, ticket: Ticket, *, now: datetime) -> None:
        return None

    def status_changed(self, ticket: Ticket, *, from_status: str, actor: User | None, now: datetime) -> None:
        _announce(
            ticket,
            IntegrationEvent.STATUS_CHANGED,
            occasion=f"{ticket.pk}:{from_status}:{ticket.status}:{now.timestamp()}",
            now=now,
            data={"from_status": from_status, "to_status": ticket.status},
        )

    def classification_changed(self, ticket: Ticket, *, actor: User | None, now: datetime) -> None:
        # Once per ticket: a P1 that was announced is not announced again when it becomes P1 again.
        if _is_major(ticket):
            _announce(ticket, IntegrationEvent.MAJOR_INCIDENT, occasion=str(ticket.pk), now=now)

    def difficulty_changed(self, ticket: Ticket, *, actor: User | None, now: datetime) -> None:
        if _is_major(ticket):
            _announce(ticket, IntegrationEvent.MAJOR_INCIDENT, occasion=str(ticket.pk), now=now)


_SLA_EVENTS = {
    SlaEventKind.SLA_WARNING.value: IntegrationEvent.SLA_WARNING.value,
    SlaEventKind.SLA_BREACHED.value: IntegrationEvent.SLA_BREACHED.value,
}


class SlaAlertFollower:
    """Registered in IntegrationsConfig.ready(); told of each scanner batch's events in its transaction."""

    def sla_events(self, rows: Sequence[EventRow], *, now: datetime) -> None:
        alerts = [row for row in rows if row.kind in _SLA_EVENTS]
        if not alerts:
            return
        destinations = [d for d in DESTINATIONS.get() if d.events & set(_SLA_EVENTS.values())]
        if not destinations:
            return
        tickets = {
            ticket.pk: ticket
            for ticket in Ticket.objects.filter(pk__in={row.ticket_id for row in alerts}).select_related(
                "team", "assignee"
            )
        }
        messages: list[OutboxMessage] = []
        for row in alerts:
            ticket = tickets.get(row.ticket_id)
            if ticket is None:
                continue
            event = _SLA_EVENTS[row.kind]
            wanting = [d for d in destinations if d.wants(event, ticket.team_id)]
            occasion = f"{ticket.pk}:{row.data.get('metric', '')}:{row.data.get('due_at', '')}"
            body = payload(event, ticket_summary(ticket), now=now, data=dict(row.data))
            messages += outbox_messages(wanting, event, body, occasion=occasion, now=now)
        save_messages(messages)
