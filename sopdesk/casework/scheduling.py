"""When to carry out a solution plan: off-peak means outside the business calendar's working hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sopdesk.lib.businesstime import BusinessCalendar, is_working_instant, next_off_hours
from sopdesk.sla.calendars import business_calendar
from sopdesk.sla.models import Calendar, TicketSla
from sopdesk.tickets.models import Ticket

# A change window shorter than this (a lunch break) is not offered as the off-peak slot.
OFF_PEAK_MIN_LENGTH = timedelta(hours=2)
# The calendar whose working hours are peak time when the ticket's own clocks run around the clock.
OFFICE_CALENDAR_CODE = "office"


@dataclass(frozen=True)
class OffPeakHint:
    is_off_peak: bool
    """True when the time lies outside working hours."""
    suggested_at: datetime | None
    """For a time inside working hours: the start of the next off-peak stretch of at least
    OFF_PEAK_MIN_LENGTH; None when the time is off-peak already or the calendar never rests."""


def off_peak_hint(
    calendar: BusinessCalendar, at: datetime, *, min_length: timedelta = OFF_PEAK_MIN_LENGTH
) -> OffPeakHint:
    """Return whether `at` is outside `calendar`'s working hours and, if not, the next off-peak slot."""
    if calendar.always_open:
        return OffPeakHint(is_off_peak=False, suggested_at=None)
    if not is_working_instant(calendar, at):
        return OffPeakHint(is_off_peak=True, suggested_at=None)
    return OffPeakHint(is_off_peak=False, suggested_at=next_off_hours(calendar, at, min_length=min_length))


def calendar_for_plans(ticket: Ticket) -> BusinessCalendar | None:
    """Return the working hours that count as peak time for `ticket`'s plans.

    The calendar of the ticket's SLA clocks when it has working hours; a ticket measured around
    the clock (P1) is still worked on users who keep office hours, so the office calendar then.
    """
    clock = TicketSla.objects.filter(ticket=ticket).select_related("calendar").first()
    calendar = clock.calendar if clock is not None else None
    if calendar is None or calendar.is_24x7:
        calendar = Calendar.objects.filter(code=OFFICE_CALENDAR_CODE, is_active=True, is_24x7=False).first()
    return business_calendar(calendar) if calendar is not None else None


def off_peak_hint_for(ticket: Ticket, at: datetime) -> OffPeakHint | None:
    """Return the off-peak hint for carrying out `ticket`'s plan at `at` (None without a calendar)."""
    calendar = calendar_for_plans(ticket)
    return off_peak_hint(calendar, at) if calendar is not None else None
