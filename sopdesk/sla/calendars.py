"""Business calendars as the pure arithmetic sees them, loaded from our own tables and cached per revision."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from sopdesk.lib.businesstime import BusinessCalendar, WorkingInterval
from sopdesk.sla.choices import DateKind
from sopdesk.sla.models import Calendar

logger = logging.getLogger(__name__)
_cache: dict[int, tuple[int, BusinessCalendar]] = {}
_lock = threading.Lock()


def to_business_calendar(calendar: Calendar) -> BusinessCalendar:
    """Build the arithmetic's calendar from `calendar`, its working intervals and its dates (2 queries)."""
    if calendar.is_24x7:
        return BusinessCalendar(zone=calendar.zone, always_open=True)
    intervals = tuple(
        WorkingInterval(weekday=row.weekday, start_minute=row.start_minute, end_minute=row.end_minute)
        for row in calendar.intervals.all()
    )
    holidays = set()
    extra: dict[object, int] = {}
    for row in calendar.dates.all():
        if row.kind == DateKind.HOLIDAY:
            holidays.add(row.date)
        else:
            extra[row.date] = row.works_like
    try:
        return BusinessCalendar(
            zone=calendar.zone,
            intervals=intervals,
            holidays=frozenset(holidays),
            extra_working_days=extra,  # type: ignore[arg-type]
        )
    except ValueError as error:
        # A calendar being set up may have no hours yet; clocks must still run, so count every hour.
        logger.warning("calendar %s is unusable (%s); counting it as 24x7", calendar.code, error)
        return BusinessCalendar(zone=calendar.zone, always_open=True)


def business_calendar(calendar: Calendar) -> BusinessCalendar:
    """Return the cached arithmetic calendar for `calendar`, rebuilt when its revision moved on."""
    with _lock:
        cached = _cache.get(calendar.pk)
    if cached is not None and cached[0] == calendar.revision:
        return cached[1]
    built = to_business_calendar(calendar)
    with _lock:
        _cache[calendar.pk] = (calendar.revision, built)
    return built


def business_calendars(ids: Iterable[int]) -> dict[int, BusinessCalendar]:
    """Return arithmetic calendars for `ids`: one query for the revisions, more only for changed ones."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {calendar.pk: business_calendar(calendar) for calendar in Calendar.objects.filter(pk__in=wanted)}
