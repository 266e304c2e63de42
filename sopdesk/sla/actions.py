"""SLA clock changes that follow ticket changes; the ticket actions call these in their transaction."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from sopdesk.accounts.models import User
from sopdesk.core.errors import ActionError, PermissionRefused
from sopdesk.core.validation import ValidationFailed
from sopdesk.lib.businesstime import BusinessCalendar
from sopdesk.lib.text import has_forbidden_characters
from sopdesk.sla import clocks, events
from sopdesk.sla.backfill import replay
from sopdesk.sla.calendars import business_calendar
from sopdesk.sla.choices import Metric
from sopdesk.sla.models import OVERDUE_REASON_MAX_LENGTH, Calendar, OverdueReason, SlaPolicy, TicketSla
from sopdesk.sla.policies import policy_for, rule_specs
from sopdesk.tickets.actions import changing_ticket, ticket_touched
from sopdesk.tickets.models import Ticket


def _calendar_for(sla: TicketSla) -> BusinessCalendar | None:
    if sla.calendar_id is None:
        return None
    return business_calendar(Calendar.objects.get(pk=sla.calendar_id))


def _save(sla: TicketSla, *, status: str, calendar: BusinessCalendar | None) -> None:
    sla.next_check_at = clocks.next_check_at(sla, status=status, calendar=calendar, rules=rule_specs(sla.policy_id))
    # A version bump makes a scanner that read the row before this change lose its compare-and-set.
    # The row is locked (`_locked`), so the version in memory is the current one: no re-read needed.
    sla.version += 1
    sla.save(update_fields=[*clocks.CLOCK_FIELDS, "version"])


def start_clocks(ticket: Ticket, *, now: datetime) -> TicketSla:
    """Create the clocks of a new ticket, measured against the first matching policy."""
    policy = policy_for(ticket)
    calendar = business_calendar(policy.calendar) if policy is not None else None
    sla = TicketSla(ticket=ticket, started_at=now, targets_set_at=now)
    clocks.start(sla, policy=policy, calendar=calendar, now=now)
    sla.next_check_at = clocks.next_check_at(
        sla, status=ticket.status, calendar=calendar, rules=rule_specs(sla.policy_id)
    )
    sla.save(force_insert=True)
    return sla


def _locked(ticket: Ticket) -> TicketSla:
    """Return the ticket's clocks locked for this transaction, starting them for tickets that have none."""
    sla = TicketSla.objects.select_for_update().filter(pk=ticket.pk).first()
    if sla is None:
        # A ticket from before the SLA engine: its timeline says where its clocks stand.
        sla = replay(ticket, ticket.events.select_related("actor").order_by("created_at", "id"))
        sla.save(force_insert=True)
    return sla


def ticket_assigned(ticket: Ticket, *, now: datetime) -> None:
    """Someone was assigned: the assignment clock is met."""
    if ticket.assignee_id is None:
        return
    with transaction.atomic():
        sla = _locked(ticket)
        if clocks.meet(sla, Metric.ASSIGNMENT, now=now):
            _save(sla, status=ticket.status, calendar=_calendar_for(sla))


def public_reply_added(ticket: Ticket, *, now: datetime) -> None:
    """Staff replied publicly: the first response is met and the update interval starts over."""
    with transaction.atomic():
        sla = _locked(ticket)
        calendar = _calendar_for(sla)
        clocks.record_public_reply(sla, calendar=calendar, now=now)
        _save(sla, status=ticket.status, calendar=calendar)


def status_changed(ticket: Ticket, *, from_status: str, actor: User | None, now: datetime) -> None:
    """Pause, resume or stop the clocks after `ticket` moved from `from_status` to its current status."""
    if not clocks.status_change_moves_clocks(from_status, ticket.status):
        return  # e.g. new → assigned: the clocks run on as they were (and the row is not locked for nothing)
    with transaction.atomic():
        sla = _locked(ticket)
        calendar = _calendar_for(sla)
        was_paused = clocks.is_resolution_paused(sla)
        clocks.status_changed(sla, calendar=calendar, from_status=from_status, to_status=ticket.status, now=now)
        _save(sla, status=ticket.status, calendar=calendar)
        is_paused = clocks.is_resolution_paused(sla)
        if sla.resolution_target_minutes is None or ticket.status in clocks.STOPPED_STATUSES:
            return
        if is_paused and not was_paused:
            events.paused(ticket, now=now, actor=actor).save()
        elif was_paused and not is_paused:
            events.resumed(ticket, now=now, actor=actor, due_at=sla.resolution_due_at).save()


def _dues(sla: TicketSla) -> dict[str, str | None]:
    return {
        metric.value: due.isoformat() if (due := sla.due_at(metric)) is not None else None
        for metric in clocks.CLOCK_METRICS
    }


def retarget(ticket: Ticket, *, actor: User | None, now: datetime) -> TicketSla:
    """Measure the clocks against the policy that matches the ticket now (after a priority change)."""
    with transaction.atomic():
        sla = _locked(ticket)
        before = _dues(sla)
        policy: SlaPolicy | None = policy_for(ticket)
        calendar = business_calendar(policy.calendar) if policy is not None else None
        clocks.set_targets(sla, policy=policy, calendar=calendar, now=now)
        _save(sla, status=ticket.status, calendar=calendar)
        events.targets_set(
            ticket, now=now, actor=actor, policy_id=sla.policy_id, before=before, after=_dues(sla)
        ).save()
    return sla


# --- overdue reasons (MISSION §3: an overdue ticket records the reason) ----------------------


def is_overdue(sla: TicketSla | None, metric: str, *, now: datetime) -> bool:
    """Return True when `metric`'s clock has run over its target (breached, or met only after its due instant)."""
    if sla is None or metric not in Metric.values:
        return False
    return clocks.ran_over(clocks.metric_view(sla, metric, calendar=_calendar_for(sla), now=now))


def record_overdue_reason(
    ticket: Ticket,
    *,
    actor: User,
    metric: str,
    reason: str,
    now: datetime,
    expected_version: int | None = None,
) -> OverdueReason:
    """Record why `metric`'s clock of `ticket` ran over (staff who may change the ticket); a timeline entry too."""
    if actor.is_requester:
        raise PermissionRefused(_("Only staff record why a ticket is overdue."))
    text = reason.strip()
    errors: dict[str, list[str]] = {}
    if metric not in Metric.values:
        errors["metric"] = [_("Unknown clock.")]
    if not text:
        errors["reason"] = [_("This field is required.")]
    elif len(text) > OVERDUE_REASON_MAX_LENGTH:
        errors["reason"] = [_("Must be at most %(max)d characters.") % {"max": OVERDUE_REASON_MAX_LENGTH}]
    elif has_forbidden_characters(text):
        errors["reason"] = [_("Must not contain control characters.")]
    if errors:
        raise ValidationFailed(errors)
    with changing_ticket(ticket, actor=actor, expected_version=expected_version):
        if not is_overdue(TicketSla.objects.filter(ticket=ticket).first(), metric, now=now):
            raise ActionError(_("This clock is not overdue."), field="metric")
        row = OverdueReason(ticket=ticket, metric=metric, reason=text, recorded_by=actor, recorded_at=now)
        row.save(force_insert=True)
        events.overdue_reason_recorded(ticket, metric=metric, reason=text, actor=actor, now=now)
        ticket_touched(ticket, now=now)
    return row
