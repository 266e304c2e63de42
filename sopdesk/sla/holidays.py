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
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from sopdesk.sla.choices import DateKind, Weekday
from sopdesk.sla.models import Calendar, CalendarDate

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
    """What `apply_entries` wrote (or, inside a rolled-back transaction, would write)."""

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


def _years_q(years: set[int]) -> Q:
    condition = Q()
    for year in years:
        condition |= Q(date__gte=date(year, 1, 1), date__lte=date(year, 12, 31))
    return condition


def apply_entries(calendar: Calendar, entries: Sequence[DateEntry], *, replace: bool) -> ImportReport:
    """Write `entries` as dates of `calendar` in one transaction; bump its revision once if anything changed.

    Existing dates are updated in place. With `replace`, other dates of the entries' years are removed.
    """
    if calendar.is_24x7:
        raise ValueError(f"calendar {calendar.code} is 24x7: holidays do not apply")
    wanted = {entry.date: entry for entry in entries}
    if len(wanted) != len(entries):
        raise ValueError("two entries for the same date")
    report = ImportReport()
    if not wanted:
        return report
    with transaction.atomic():
        # One import at a time per calendar: the lock orders concurrent runs instead of failing on uniqueness.
        Calendar.objects.select_for_update().filter(pk=calendar.pk).first()
        existing = {
            row.date: row
            for row in CalendarDate.objects.filter(_years_q({day.year for day in wanted}), calendar=calendar)
        }
        if replace:
            report.removed = sorted(day for day in existing if day not in wanted)
            CalendarDate.objects.filter(calendar=calendar, date__in=report.removed).delete()
        new_rows: list[CalendarDate] = []
        changed_rows: list[CalendarDate] = []
        for day, entry in sorted(wanted.items()):
            row = existing.get(day)
            if row is None:
                new_rows.append(
                    CalendarDate(
                        calendar=calendar, date=day, kind=entry.kind, name=entry.name, works_like=entry.works_like
                    )
                )
            elif (row.kind, row.name, row.works_like) != (entry.kind, entry.name, entry.works_like):
                row.kind, row.name, row.works_like = entry.kind, entry.name, entry.works_like
                changed_rows.append(row)
            else:
                report.unchanged += 1
        CalendarDate.objects.bulk_create(new_rows)
        CalendarDate.objects.bulk_update(changed_rows, ["kind", "name", "works_like"])
        report.created = [row.date for row in new_rows]
        report.updated = [row.date for row in changed_rows]
        # Bulk writes skip CalendarDate.save(): bump once so that cached calendars are rebuilt.
        if report.has_changes:
            calendar.bump_revision()
    return report
