"""SLA endpoints: business calendars and policies (administrators change, managers read), breach lists (staff).

Parse, authorize, call an action of `sopdesk.sla.config` or a query, shape the answer.
"""

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from sopdesk.accounts.models import Team
from sopdesk.core.api import check_query_parameters, error_responses, request_user
from sopdesk.core.validation import check_no_nulls
from sopdesk.sla import actions, breaches, config
from sopdesk.sla.api import serializers
from sopdesk.sla.api.schemas import (
    BreachListParams,
    BreachPage,
    CalendarCreateIn,
    CalendarDateIn,
    CalendarDateListParams,
    CalendarDateOut,
    CalendarDatePage,
    CalendarDatePath,
    CalendarListParams,
    CalendarOut,
    CalendarPage,
    CalendarPath,
    CalendarUpdateIn,
    OverdueReasonIn,
    OverdueReasonOut,
    PolicyCreateIn,
    PolicyListParams,
    PolicyOut,
    PolicyPage,
    PolicyPath,
    PolicyUpdateIn,
)
from sopdesk.sla.models import Calendar, OverdueReason
from sopdesk.sla.queries import overdue_reasons_for, sla_snapshots
from sopdesk.tickets.api.serializers import ticket_summary, user_ref
from sopdesk.tickets.models import Ticket
from sopdesk.tickets.queries import attach_list_relations, get_ticket_for_user, ticket_list_rows

router = Router(tags=["sla"])
tickets_router = Router(tags=["sla_overdue_reasons"])

ERRORS = error_responses(400, 401, 403, 404, 409, 422)


# --- calendars ------------------------------------------------------------------------------


@router.get("/calendars", response={200: CalendarPage, **ERRORS})
def list_calendars(request: HttpRequest, params: Query[CalendarListParams]) -> dict[str, Any]:
    """List the business calendars with their weekly working hours (administrators and managers)."""
    check_query_parameters(request, CalendarListParams)
    config.check_may_read_config(request_user(request))
    calendars = Calendar.objects.order_by("name", "pk")
    if params.is_active is not None:
        calendars = calendars.filter(is_active=params.is_active)
    page = list(calendars.prefetch_related("intervals")[params.offset : params.offset + params.limit])
    return {"count": calendars.count(), "items": serializers.calendars_out(page)}


@router.post("/calendars", response={201: CalendarOut, **ERRORS})
@transaction.atomic
def create_calendar(request: HttpRequest, payload: CalendarCreateIn) -> Status[Any]:
    """Create a calendar: a time zone and weekly working hours, or 24×7. Add holidays with PUT …/dates/{date}.

    An active calendar that is not 24×7 needs working hours. A taken code is 409.
    """
    actor = request_user(request)
    config.check_may_change_config(actor)
    calendar = config.create_calendar(
        code=payload.code,
        name=payload.name,
        time_zone=payload.time_zone,
        is_24x7=payload.is_24x7,
        is_active=payload.is_active,
        working_hours=serializers.working_hours_in(payload.working_hours),
        actor=actor,
        now=timezone.now(),
    )
    return Status(201, serializers.calendar_out(calendar))


@router.get("/calendars/{code}", response={200: CalendarOut, **ERRORS})
def get_calendar(request: HttpRequest, path: Path[CalendarPath]) -> dict[str, Any]:
    """Return one calendar with its weekly hours and the years that have holidays entered."""
    config.check_may_read_config(request_user(request))
    return serializers.calendar_out(config.get_calendar(path.code))


@router.patch("/calendars/{code}", response={200: CalendarOut, **ERRORS})
@transaction.atomic
def update_calendar(request: HttpRequest, path: Path[CalendarPath], payload: CalendarUpdateIn) -> dict[str, Any]:
    """Change a calendar; `working_hours` replaces the whole weekly schedule.

    Open tickets follow the new hours from their next calculation on. A calendar that active
    policies use cannot be deactivated (409).
    """
    actor = request_user(request)
    config.check_may_change_config(actor)
    calendar = config.get_calendar(path.code, for_update=True)
    changes = payload.dict(exclude_unset=True)
    check_no_nulls(changes)
    changes.pop("working_hours", None)
    hours = serializers.working_hours_in(payload.working_hours) if payload.working_hours is not None else None
    config.update_calendar(calendar, changes=changes, working_hours=hours, actor=actor, now=timezone.now())
    return serializers.calendar_out(calendar)


# --- calendar dates -------------------------------------------------------------------------


@router.get("/calendars/{code}/dates", response={200: CalendarDatePage, **ERRORS})
def list_calendar_dates(
    request: HttpRequest, path: Path[CalendarPath], params: Query[CalendarDateListParams]
) -> dict[str, Any]:
    """List a calendar's holidays and make-up working days in date order, e.g. `?year=2026`."""
    check_query_parameters(request, CalendarDateListParams)
    config.check_may_read_config(request_user(request))
    dates = config.get_calendar(path.code).dates.order_by("date")
    if params.year is not None:
        dates = dates.filter(date__year=params.year)
    if params.kind is not None:
        dates = dates.filter(kind=params.kind)
    page = dates[params.offset : params.offset + params.limit]
    return {"count": dates.count(), "items": [serializers.date_out(row) for row in page]}


@router.put("/calendars/{code}/dates/{date}", response={200: CalendarDateOut, 201: CalendarDateOut, **ERRORS})
@transaction.atomic
def put_calendar_date(request: HttpRequest, path: Path[CalendarDatePath], payload: CalendarDateIn) -> Status[Any]:
    """Enter one holiday or make-up working day (调休), replacing what the date had: 201 if new, else 200.

    Use it for years the bundled data does not cover, once the official schedule is published.
    A make-up day works like `works_like`, which must have working hours. 24×7 calendars have no dates (409).
    """
    actor = request_user(request)
    config.check_may_change_config(actor)
    row, created = config.put_calendar_date(
        config.get_calendar(path.code, for_update=True),
        date=path.date,
        kind=payload.kind,
        name=payload.name,
        works_like=payload.works_like,
        actor=actor,
        now=timezone.now(),
    )
    return Status(201 if created else 200, serializers.date_out(row))


@router.delete("/calendars/{code}/dates/{date}", response={204: None, **ERRORS})
@transaction.atomic
def delete_calendar_date(request: HttpRequest, path: Path[CalendarDatePath]) -> Status[Any]:
    """Remove a holiday or make-up working day: the date follows the weekly hours again."""
    actor = request_user(request)
    config.check_may_change_config(actor)
    config.delete_calendar_date(
        config.get_calendar(path.code, for_update=True), date=path.date, actor=actor, now=timezone.now()
    )
    return Status(204, None)


# --- policies -------------------------------------------------------------------------------


@router.get("/policies", response={200: PolicyPage, **ERRORS})
def list_policies(request: HttpRequest, params: Query[PolicyListParams]) -> dict[str, Any]:
    """List the SLA policies in matching order with their escalation rules (administrators and managers)."""
    check_query_parameters(request, PolicyListParams)
    config.check_may_read_config(request_user(request))
    policies = config.policy_rows().order_by("order", "pk")
    if params.is_active is not None:
        policies = policies.filter(is_active=params.is_active)
    if params.priority is not None:
        policies = policies.filter(priority=params.priority)
    page = policies[params.offset : params.offset + params.limit]
    return {"count": policies.count(), "items": [serializers.policy_out(policy) for policy in page]}


@router.post("/policies", response={201: PolicyOut, **ERRORS})
@transaction.atomic
def create_policy(request: HttpRequest, payload: PolicyCreateIn) -> Status[Any]:
    """Create a policy: which tickets it matches, its calendar, targets in business minutes and escalation rules.

    New tickets are measured against the first active matching policy by `order`; open tickets keep
    their targets. Codes of deactivated calendars, teams or categories are refused (422).
    """
    actor = request_user(request)
    config.check_may_change_config(actor)
    policy = config.create_policy(
        draft=config.PolicyDraft(**payload.dict(exclude={"escalation_rules"})),
        escalation_rules=serializers.rules_in(payload.escalation_rules),
        actor=actor,
        now=timezone.now(),
    )
    return Status(201, serializers.policy_out(config.get_policy(policy.pk)))


@router.get("/policies/{policy_id}", response={200: PolicyOut, **ERRORS})
def get_policy(request: HttpRequest, path: Path[PolicyPath]) -> dict[str, Any]:
    """Return one policy with its escalation rules."""
    config.check_may_read_config(request_user(request))
    return serializers.policy_out(config.get_policy(path.policy_id))


@router.patch("/policies/{policy_id}", response={200: PolicyOut, **ERRORS})
@transaction.atomic
def update_policy(request: HttpRequest, path: Path[PolicyPath], payload: PolicyUpdateIn) -> dict[str, Any]:
    """Change a policy; `escalation_rules` replaces the whole list (send existing rules with their `id`).

    Changes apply to tickets measured from now on; open tickets keep the targets they started with.
    Rule changes reach open tickets when their clocks are next checked.
    """
    actor = request_user(request)
    config.check_may_change_config(actor)
    policy = config.get_policy(path.policy_id, for_update=True)
    changes = payload.dict(exclude_unset=True)
    check_no_nulls(changes, nullable=config.NULLABLE_POLICY_FIELDS)
    changes.pop("escalation_rules", None)
    rules = serializers.rules_in(payload.escalation_rules) if payload.escalation_rules is not None else None
    config.update_policy(policy, changes=changes, escalation_rules=rules, actor=actor, now=timezone.now())
    return serializers.policy_out(config.get_policy(policy.pk))


# --- breaches -------------------------------------------------------------------------------


@router.get("/breaches", response={200: BreachPage, **ERRORS})
def list_breaches(request: HttpRequest, params: Query[BreachListParams]) -> dict[str, Any]:
    """List a team's open tickets whose SLA clocks are breached or in warning, most overdue first.

    Staff see the tickets of the team they may see (their teams' tickets and those assigned to them;
    managers, administrators and auditors all). Requesters are refused (403). Each row carries the
    ticket's clocks as of now.
    """
    check_query_parameters(request, BreachListParams)
    user = request_user(request)
    breaches.check_may_list_breaches(user)
    team = Team.objects.filter(code=params.team).first()
    if team is None:
        raise config.NotFound(_("Unknown team."), field="team")
    now = timezone.now()
    tickets = breaches.breach_rows(Ticket.objects.visible_to(user).filter(team=team), state=params.state, now=now)
    page = list(ticket_list_rows(tickets)[params.offset : params.offset + params.limit])
    attach_list_relations(page)
    snapshots = sla_snapshots(page, now=now)
    return {"count": tickets.count(), "items": [ticket_summary(ticket, snapshots[ticket.pk]) for ticket in page]}


# --- overdue reasons of a ticket ------------------------------------------------------------


def _overdue_reason_out(row: OverdueReason) -> dict[str, Any]:
    return {
        "metric": row.metric,
        "reason": row.reason,
        "recorded_by": user_ref(row.recorded_by),
        "recorded_at": row.recorded_at,
    }


@tickets_router.get("/{number}/overdue-reasons", response={200: list[OverdueReasonOut], **ERRORS})
def list_overdue_reasons(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """The newest overdue reason per clock (staff; requesters get an empty list)."""
    user = request_user(request)
    ticket = get_ticket_for_user(user, number)
    return [_overdue_reason_out(row) for row in overdue_reasons_for(ticket, user).values()]


@tickets_router.post("/{number}/overdue-reasons", response={201: OverdueReasonOut, **ERRORS})
@transaction.atomic
def create_overdue_reason(request: HttpRequest, number: str, payload: OverdueReasonIn) -> Status[Any]:
    """Record why a clock ran over its target (staff who may change the ticket; 422 if it is not overdue)."""
    user = request_user(request)
    ticket = get_ticket_for_user(user, number)
    row = actions.record_overdue_reason(
        ticket, actor=user, metric=payload.metric, reason=payload.reason, now=timezone.now()
    )
    return Status(201, _overdue_reason_out(row))
