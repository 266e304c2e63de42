"""Start the clocks of tickets that predate the SLA engine by replaying their timelines."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction

from sopdesk.lib.businesstime import BusinessCalendar
from sopdesk.sla import clocks
from sopdesk.sla.calendars import business_calendar
from sopdesk.sla.choices import Metric
from sopdesk.sla.models import SlaPolicy, TicketSla
from sopdesk.sla.policies import policy_for, rule_specs
from sopdesk.tickets.choices import EventKind
from sopdesk.tickets.models import Ticket, TicketEvent

ProgressCallback = Callable[[int, int], None]


def _targets(ticket: Ticket) -> tuple[SlaPolicy | None, BusinessCalendar | None]:
    policy = policy_for(ticket)
    return policy, business_calendar(policy.calendar) if policy is not None else None


def replay(ticket: Ticket, timeline: Iterable[TicketEvent]) -> TicketSla:
    """Return unsaved clocks for `ticket` as its timeline would have moved them (priority changes included)."""
    events = list(timeline)
    final_priority = ticket.priority
    created = next((event for event in events if event.kind == EventKind.CREATED), None)
    if created is not None and created.data.get("priority"):
        ticket.priority = created.data["priority"]
    policy, calendar = _targets(ticket)
    sla = TicketSla(ticket=ticket, started_at=ticket.created_at, targets_set_at=ticket.created_at)
    clocks.start(sla, policy=policy, calendar=calendar, now=ticket.created_at)
    for event in events:
        if event.kind == EventKind.ASSIGNED and (event.data.get("assignee") or {}).get("to") is not None:
            clocks.meet(sla, Metric.ASSIGNMENT, now=event.created_at)
        elif event.kind == EventKind.PUBLIC_REPLY and event.actor is not None and not event.actor.is_requester:
            clocks.record_public_reply(sla, calendar=calendar, now=event.created_at)
        elif event.kind in (EventKind.STATUS_CHANGED, EventKind.REOPENED):
            clocks.status_changed(
                sla,
                calendar=calendar,
                from_status=event.data.get("from", ""),
                to_status=event.data.get("to", ""),
                now=event.created_at,
            )
        elif event.kind == EventKind.PRIORITY_CHANGED and event.data.get("to"):
            ticket.priority = event.data["to"]
            policy, calendar = _targets(ticket)
            clocks.set_targets(sla, policy=policy, calendar=calendar, now=event.created_at)
    ticket.priority = final_priority
    sla.next_check_at = clocks.next_check_at(
        sla, status=ticket.status, calendar=calendar, rules=rule_specs(sla.policy_id)
    )
    return sla


def tickets_without_clocks() -> list[int]:
    return list(Ticket.objects.filter(sla__isnull=True).order_by("pk").values_list("pk", flat=True))


def start_missing_clocks(*, batch_size: int = 200, on_progress: ProgressCallback | None = None) -> int:
    """Create clocks for every ticket without them, in batches of one transaction each; return the count."""
    ids = tickets_without_clocks()
    done = 0
    for offset in range(0, len(ids), batch_size):
        chunk = ids[offset : offset + batch_size]
        with transaction.atomic():
            tickets = Ticket.objects.filter(pk__in=chunk, sla__isnull=True).select_related("organization")
            timelines: dict[int, list[TicketEvent]] = {}
            for event in (
                TicketEvent.objects.filter(ticket_id__in=chunk).select_related("actor").order_by("created_at", "id")
            ):
                timelines.setdefault(event.ticket_id, []).append(event)
            TicketSla.objects.bulk_create([replay(ticket, timelines.get(ticket.pk, [])) for ticket in tickets])
        done += len(chunk)
        if on_progress is not None:
            on_progress(done, len(ids))
    return len(ids)
