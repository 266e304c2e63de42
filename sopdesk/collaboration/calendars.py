"""The acceptance clock: when a team must answer a collaboration request, in its own working calendar."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from sopdesk.accounts.models import Team
from sopdesk.collaboration.models import TeamCollaborationSettings
from sopdesk.lib.businesstime import BusinessCalendar, WorkingInterval, add_working_days
from sopdesk.sla.calendars import business_calendar
from sopdesk.sla.models import Calendar


def _monday_to_friday() -> BusinessCalendar:
    return BusinessCalendar(
        zone=ZoneInfo(settings.TIME_ZONE),
        intervals=tuple(WorkingInterval(weekday=day, start_minute=9 * 60, end_minute=18 * 60) for day in range(5)),
    )


def acceptance_rule(team: Team) -> tuple[BusinessCalendar, int]:
    """Return the calendar `team` works in and its working days to accept a request.

    The team's own calendar (collaboration settings), else the desk's default calendar
    (SOPDESK_DEFAULT_CALENDAR), else Monday to Friday in the desk's time zone; the team's own
    number of days, else SOPDESK_COLLABORATION_ACCEPT_WORKING_DAYS.
    """
    own = TeamCollaborationSettings.objects.filter(team=team).select_related("calendar").first()
    calendar = own.calendar if own is not None and own.calendar is not None and own.calendar.is_active else None
    if calendar is None and settings.SOPDESK_DEFAULT_CALENDAR:
        calendar = Calendar.objects.filter(code=settings.SOPDESK_DEFAULT_CALENDAR, is_active=True).first()
    days = own.acceptance_working_days if own is not None and own.acceptance_working_days else None
    return (
        business_calendar(calendar) if calendar is not None else _monday_to_friday(),
        days or settings.SOPDESK_COLLABORATION_ACCEPT_WORKING_DAYS,
    )


def acceptance_due(team: Team, *, requested_at: datetime) -> datetime:
    """Return when `team` must have accepted or rejected a request made at `requested_at`.

    Working days, not hours (as auto-close counts them): asked on Friday 15:00 with one working
    day, due on Monday 15:00, or on Saturday 15:00 when that Saturday is a make-up working day.
    """
    calendar, days = acceptance_rule(team)
    return add_working_days(calendar, requested_at, days)
