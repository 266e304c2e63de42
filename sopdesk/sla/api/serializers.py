"""Shape SLA configuration for the API (calendars, dates, policies) and read working hours from it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models.functions import ExtractYear

from sopdesk.sla.api.schemas import EscalationRuleIn, WorkingHoursIn
from sopdesk.sla.choices import DateKind
from sopdesk.sla.config import SCALAR_FIELDS, RuleSpec
from sopdesk.sla.models import Calendar, CalendarDate, SlaPolicy


def _clock_time(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours) % 24, int(minutes))  # 24:00 is midnight at the end of the day, stored as 00:00


def working_hours_in(rows: Sequence[WorkingHoursIn]) -> list[tuple[int, dt.time, dt.time]]:
    """Return the schedule of `rows` as (weekday, starts_at, ends_at) times, in the order given."""
    return [(int(row.weekday), _clock_time(row.starts_at), _clock_time(row.ends_at)) for row in rows]


def rules_in(rows: Sequence[EscalationRuleIn]) -> list[RuleSpec]:
    """Return the escalation rules of `rows` as the actions take them."""
    return [RuleSpec(**row.dict()) for row in rows]


def calendars_out(calendars: Sequence[Calendar]) -> list[dict[str, Any]]:
    """Shape `calendars` (with intervals prefetched); one query for the years of all their dates."""
    years: dict[int, list[int]] = {calendar.pk: [] for calendar in calendars}
    rows = (
        CalendarDate.objects.filter(calendar__in=calendars)
        .annotate(year=ExtractYear("date"))
        .values_list("calendar_id", "year")
        .distinct()
        .order_by("calendar_id", "year")
    )
    for calendar_id, year in rows:
        years[calendar_id].append(year)
    return [
        {
            "code": calendar.code,
            "name": calendar.name,
            "time_zone": calendar.time_zone,
            "is_24x7": calendar.is_24x7,
            "is_active": calendar.is_active,
            "revision": calendar.revision,
            "working_hours": [
                {"weekday": row.weekday, "starts_at": f"{row.starts_at:%H:%M}", "ends_at": f"{row.ends_at:%H:%M}"}
                for row in calendar.intervals.all()
            ],
            "years_with_dates": years[calendar.pk],
        }
        for calendar in calendars
    ]


def calendar_out(calendar: Calendar) -> dict[str, Any]:
    """Shape one calendar as it is in memory (after a change: as changed), its hours read from the database."""
    return calendars_out([calendar])[0]


def date_out(row: CalendarDate) -> dict[str, Any]:
    return {
        "date": row.date,
        "weekday": row.date.weekday(),
        "kind": row.kind,
        "name": row.name,
        "works_like": row.works_like if row.kind == DateKind.WORKING_DAY else None,
    }


def policy_out(policy: SlaPolicy) -> dict[str, Any]:
    """Shape `policy`, loaded with the relations of `sopdesk.sla.config.policy_rows()`."""
    data: dict[str, Any] = {name: getattr(policy, name) for name in ("id", *SCALAR_FIELDS)}
    data.update(
        {
            "customer_level": policy.customer_level.code if policy.customer_level else None,
            "category": policy.category.code if policy.category else None,
            "calendar": policy.calendar.code,
            "backup_team": policy.backup_team.code if policy.backup_team else None,
            "escalation_rules": [
                {
                    "id": rule.pk,
                    "metric": rule.metric,
                    "offset_minutes": rule.offset_minutes,
                    "notify_team_lead": rule.notify_team_lead,
                    "contacts": [user.username for user in rule.contacts.all()],
                    "reassign_to_team": rule.reassign_to_team.code if rule.reassign_to_team else None,
                    "raise_priority": rule.raise_priority,
                    "is_active": rule.is_active,
                }
                for rule in policy.escalation_rules.all()
            ],
        }
    )
    return data
