"""When a waiting ticket is reminded and closed: N working days in its calendar, the reminder one before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from sopdesk.lib.businesstime import BusinessCalendar, WorkingInterval, add_working_days
from sopdesk.sla.calendars import business_calendar
from sopdesk.sla.models import Calendar, TicketSla
from sopdesk.tickets.models import Ticket


@dataclass(frozen=True)
class Deadlines:
    remind_at: datetime | None  # None when the ticket closes after a single working day
    close_at: datetime


def _monday_to_friday() -> BusinessCalendar:
    return BusinessCalendar(
        zone=ZoneInfo(settings.TIME_ZONE),
        intervals=tuple(WorkingInterval(weekday=day, start_minute=9 * 60, end_minute=18 * 60) for day in range(5)),
    )


def calendar_for(ticket: Ticket) -> BusinessCalendar:
    """Return the calendar counting `ticket`'s working days.

    The calendar of the SLA policy that matched the ticket (chosen by the requester organisation's
    customer level, category and channel), else the desk's default (SOPDESK_DEFAULT_CALENDAR),
    else Monday to Friday in the desk's time zone.
    """
    calendar = (
        Calendar.objects.filter(pk__in=TicketSla.objects.filter(pk=ticket.pk).values("calendar_id")).first()
        if ticket.pk
        else None
    )
    if calendar is None and settings.SOPDESK_DEFAULT_CALENDAR:
        calendar = Calendar.objects.filter(code=settings.SOPDESK_DEFAULT_CALENDAR, is_active=True).first()
    return business_calendar(calendar) if calendar is not None else _monday_to_friday()


def deadlines(calendar: BusinessCalendar, *, waiting_since: datetime, working_days: int) -> Deadlines:
    """Return when a ticket waiting since `waiting_since` is reminded and closed."""
    close_at = add_working_days(calendar, waiting_since, working_days)
    remind_at = add_working_days(calendar, waiting_since, working_days - 1) if working_days > 1 else None
    return Deadlines(remind_at=remind_at, close_at=close_at)
