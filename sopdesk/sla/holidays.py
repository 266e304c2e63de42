"""China's public holidays and make-up working days (调休) for business calendars.

The dates come from the `holidays` package and are cross-checked day by day against
`chinese_calendar`. Both follow the State Council's yearly notice; for years it has not published,
`holidays` computes the holidays by rule and knows no make-up days, and `chinese_calendar` has no
data at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar
import holidays
from django.utils.translation import gettext as _

from sopdesk.sla.choices import DateKind, Weekday

# The years the `holidays` package has China data for (official ones only up to the latest notice).
FIRST_YEAR: int = holidays.China.start_year  # type: ignore[attr-defined]
LAST_YEAR: int = holidays.China.end_year  # type: ignore[attr-defined]
# Stored data, not an interface text: the Chinese name of a make-up working day, as in the seed migration.
MAKE_UP_DAY_NAME = "调休上班"


@dataclass(frozen=True)
class DateEntry:
    """One date that differs from the weekly pattern: a day off, or a weekend date that is worked."""

    date: date
    kind: DateKind
    name: str
    works_like: int = Weekday.MONDAY


@dataclass(frozen=True)
class Disagreement:
    """A date whose working-day status differs between our entries and `chinese_calendar`."""

    date: date
    is_working_day: bool
    other_is_working_day: bool
    other_name: str = ""

    def __str__(self) -> str:
        ours = _("working day") if self.is_working_day else _("day off")
        theirs = _("working day") if self.other_is_working_day else _("day off")
        detail = f" ({self.other_name})" if self.other_name else ""
        return _("%(date)s %(weekday)s: %(ours)s in the holidays package, %(theirs)s in chinese_calendar%(detail)s") % {
            "date": self.date.isoformat(),
            "weekday": Weekday(self.date.weekday()).label,
            "ours": ours,
            "theirs": theirs,
            "detail": detail,
        }


class NoSecondSource(Exception):
    """`chinese_calendar` has no data for the year, so nothing can be cross-checked."""

    def __init__(self, year: int) -> None:
        super().__init__(_("no second source for %(year)s") % {"year": year})
        self.year = year


@dataclass
class ImportReport:
    """What `sopdesk.sla.config.import_calendar_dates` wrote (or, in a rolled-back transaction, would write)."""

    created: list[date] = field(default_factory=list)
    updated: list[date] = field(default_factory=list)
    removed: list[date] = field(default_factory=list)
    unchanged: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.created or self.updated or self.removed)


def days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=offset) for offset in range((date(year + 1, 1, 1) - first).days)]


def china_year(year: int) -> list[DateEntry]:
    """Return the days off (with their Chinese names) and the make-up working days of `year`, by date."""
    calendar = holidays.China(years=year, language="zh_CN")  # type: ignore[attr-defined]
    entries = [DateEntry(day, DateKind.HOLIDAY, name[:100]) for day, name in calendar.items() if day.year == year]
    entries += [
        DateEntry(day, DateKind.WORKING_DAY, MAKE_UP_DAY_NAME) for day in calendar.weekend_workdays if day.year == year
    ]
    return sorted(entries, key=lambda entry: entry.date)


def make_up_days(entries: Sequence[DateEntry]) -> list[date]:
    return [entry.date for entry in entries if entry.kind == DateKind.WORKING_DAY]


def is_working_day(day: date, *, days_off: set[date], make_up: set[date]) -> bool:
    """Return True when `day` is worked: a make-up day, or Monday to Friday and not a day off."""
    return day in make_up or (day.weekday() < Weekday.SATURDAY and day not in days_off)


def cross_check(year: int, entries: Sequence[DateEntry]) -> list[Disagreement]:
    """Compare the working-day status of every date of `year` in `entries` with `chinese_calendar`.

    Raise NoSecondSource when `chinese_calendar` has no data for `year`.
    """
    days_off = {entry.date for entry in entries if entry.kind == DateKind.HOLIDAY}
    make_up = set(make_up_days(entries))
    found: list[Disagreement] = []
    for day in days_of(year):
        try:
            other = chinese_calendar.is_workday(day)
        except NotImplementedError as error:
            raise NoSecondSource(year) from error
        ours = is_working_day(day, days_off=days_off, make_up=make_up)
        if ours != other:
            name = chinese_calendar.get_holiday_detail(day)[1] or ""
            found.append(Disagreement(day, ours, other, str(name)))
    return found
