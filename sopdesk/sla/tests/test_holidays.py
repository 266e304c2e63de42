"""China holiday import: the package data, the cross-check, writing dates, and the import_holidays command."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from sopdesk.accounts.choices import Role
from sopdesk.audit.models import ConfigChange
from sopdesk.core.errors import TransitionRefused
from sopdesk.core.validation import ValidationFailed
from sopdesk.sla import holidays
from sopdesk.sla.choices import DateKind
from sopdesk.sla.config import import_calendar_dates
from sopdesk.sla.holidays import DateEntry, ImportReport, NoSecondSource, china_year, cross_check
from sopdesk.sla.management.commands import import_holidays
from sopdesk.sla.models import Calendar, CalendarDate, WorkingInterval
from sopdesk.testing.factories import make_user

# The State Council's 2026 schedule: weekends worked to bridge the long holidays.
MAKE_UP_2026 = [
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
]


NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def kinds(entries: list[DateEntry]) -> dict[date, str]:
    return {entry.date: entry.kind for entry in entries}


# --- package data and cross-check (no database) ---------------------------------------------


def test_2026_has_the_official_make_up_working_days() -> None:
    entries = china_year(2026)

    assert holidays.make_up_days(entries) == MAKE_UP_2026
    assert all(entry.name == holidays.MAKE_UP_DAY_NAME for entry in entries if entry.kind == DateKind.WORKING_DAY)


def test_2026_national_day_week_is_off_on_every_weekday() -> None:
    entries = kinds(china_year(2026))
    national_day = [date(2026, 10, day) for day in range(1, 8)]

    weekdays = [day for day in national_day if day.weekday() < 5]
    assert weekdays == [date(2026, 10, d) for d in (1, 2, 5, 6, 7)]
    assert all(entries.get(day) == DateKind.HOLIDAY for day in weekdays)
    assert date(2026, 10, 8) not in entries


def test_holiday_names_are_chinese() -> None:
    names = {entry.date: entry.name for entry in china_year(2026)}

    assert names[date(2026, 10, 1)] == "国庆节"
    assert names[date(2026, 1, 1)] == "元旦"


def test_entries_are_sorted_and_of_their_year() -> None:
    entries = china_year(2025)

    assert [entry.date for entry in entries] == sorted(entry.date for entry in entries)
    assert {entry.date.year for entry in entries} == {2025}


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_two_sources_agree_on_every_day_of_the_official_years(year: int) -> None:
    assert cross_check(year, china_year(year)) == []


def test_cross_check_reports_each_date_where_the_sources_disagree() -> None:
    entries = [entry for entry in china_year(2026) if entry.date != date(2026, 10, 10)]
    entries.append(DateEntry(date(2026, 3, 3), DateKind.HOLIDAY, "Invented"))

    found = cross_check(2026, entries)

    assert [(d.date, d.is_working_day, d.other_is_working_day) for d in found] == [
        (date(2026, 3, 3), False, True),
        (date(2026, 10, 10), False, True),
    ]
    assert "2026-10-10" in str(found[1])
    assert "National Day" in str(found[1])


def test_a_weekday_holiday_missing_from_our_data_is_a_disagreement() -> None:
    entries = [entry for entry in china_year(2026) if entry.date != date(2026, 10, 5)]

    found = cross_check(2026, entries)

    assert [(d.date, d.is_working_day, d.other_is_working_day) for d in found] == [(date(2026, 10, 5), True, False)]


def test_years_without_a_second_source_say_so() -> None:
    with pytest.raises(NoSecondSource) as missing:
        cross_check(2027, china_year(2027))

    assert missing.value.year == 2027
    assert str(missing.value) == "no second source for 2027"


def test_2027_is_rule_based_without_make_up_days() -> None:
    entries = china_year(2027)

    assert holidays.make_up_days(entries) == []
    assert kinds(entries)[date(2027, 10, 1)] == DateKind.HOLIDAY


# --- writing dates --------------------------------------------------------------------------


@pytest.fixture
def branch(db: None) -> Calendar:
    """An office calendar without any dates yet."""
    calendar = Calendar.objects.create(code="branch", name="Branch office")
    WorkingInterval.objects.bulk_create(
        WorkingInterval(calendar=calendar, weekday=day, starts_at=time(9), ends_at=time(18)) for day in range(5)
    )
    return calendar


def revision(calendar: Calendar) -> int:
    calendar.refresh_from_db(fields=["revision"])
    return calendar.revision


def apply_entries(calendar: Calendar, entries: list[DateEntry], *, replace: bool) -> ImportReport:
    """Import as the command does: through the configuration action, from the command line (no actor)."""
    return import_calendar_dates(calendar, entries, replace=replace, actor=None, now=NOW)


def stored(calendar: Calendar, year: int) -> dict[date, tuple[str, str, int]]:
    rows = CalendarDate.objects.filter(calendar=calendar, date__year=year)
    return {row.date: (row.kind, row.name, row.works_like) for row in rows}


def test_apply_entries_writes_every_date_and_bumps_the_revision(branch: Calendar) -> None:
    entries = china_year(2026)
    before = revision(branch)

    report = apply_entries(branch, entries, replace=False)

    assert len(report.created) == len(entries)
    assert (report.updated, report.removed, report.unchanged) == ([], [], 0)
    assert stored(branch, 2026) == {entry.date: (entry.kind, entry.name, entry.works_like) for entry in entries}
    assert revision(branch) != before


def test_importing_what_the_seed_migration_wrote_changes_nothing(db: None) -> None:
    office = Calendar.objects.get(code="office")
    before = revision(office)

    report = apply_entries(office, china_year(2026), replace=True)

    assert not report.has_changes
    assert report.unchanged == len(china_year(2026))
    assert revision(office) == before


def test_apply_entries_updates_changed_dates_in_place(branch: Calendar) -> None:
    apply_entries(branch, china_year(2026), replace=False)
    row = CalendarDate.objects.get(calendar=branch, date=date(2026, 10, 1))
    row.name = "typo"
    row.save()
    before = revision(branch)

    report = apply_entries(branch, china_year(2026), replace=False)

    assert report.updated == [date(2026, 10, 1)]
    assert CalendarDate.objects.get(pk=row.pk).name == "国庆节"
    assert revision(branch) != before


def test_replace_removes_other_dates_of_the_year_only(branch: Calendar) -> None:
    stale = CalendarDate.objects.create(calendar=branch, date=date(2026, 3, 3), kind=DateKind.HOLIDAY, name="Old")
    other_year = CalendarDate.objects.create(calendar=branch, date=date(2027, 3, 3), kind=DateKind.HOLIDAY)

    kept = apply_entries(branch, china_year(2026), replace=False)
    replaced = apply_entries(branch, china_year(2026), replace=True)

    assert kept.removed == []
    assert replaced.removed == [date(2026, 3, 3)]
    assert not CalendarDate.objects.filter(pk=stale.pk).exists()
    assert CalendarDate.objects.filter(pk=other_year.pk).exists()


def test_apply_entries_refuses_24x7_calendars_and_duplicate_dates(branch: Calendar) -> None:
    entry = DateEntry(date(2026, 3, 3), DateKind.HOLIDAY, "x")

    with pytest.raises(TransitionRefused, match="24×7"):
        apply_entries(Calendar.objects.get(code="24x7"), [entry], replace=False)
    with pytest.raises(ValidationFailed, match="same date"):
        apply_entries(branch, [entry, entry], replace=False)
    assert not CalendarDate.objects.filter(calendar=branch).exists()


# --- the import_holidays command ------------------------------------------------------------


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_holidays", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_imports_a_year_and_reports_the_cross_check(branch: Calendar) -> None:
    out, err = run("--calendar", "branch", "--year", "2026")

    count = len(china_year(2026))
    assert "2026: 22 holidays, 6 make-up working days" in out
    assert "cross-check with chinese_calendar: agrees on 365 days" in out
    assert f"branch: {count} created, 0 updated, 0 removed, 0 unchanged" in out
    assert err == ""
    assert set(MAKE_UP_2026) <= set(stored(branch, 2026))


def test_command_records_every_date_it_writes_in_the_audit_log(branch: Calendar) -> None:
    CalendarDate.objects.create(calendar=branch, date=date(2026, 3, 3), kind=DateKind.HOLIDAY, name="Stale")

    run("--calendar", "branch", "--year", "2026", "--replace")

    changes = ConfigChange.objects.filter(object_type="sla.calendardate")
    assert changes.filter(operation="created").count() == len(china_year(2026))
    removed = changes.get(operation="deleted")
    assert removed.before == {
        "calendar": "branch",
        "date": "2026-03-03",
        "kind": "holiday",
        "name": "Stale",
        "works_like": None,
    }
    assert removed.after == {}
    assert {change.actor for change in changes} == {None}
    national_day = changes.get(operation="created", after__date="2026-10-01")
    assert national_day.after["name"] == "国庆节"


def test_command_names_the_administrator_given_as_actor(branch: Calendar) -> None:
    boss = make_user("boss", role=Role.ADMIN)

    run("--calendar", "branch", "--year", "2026", "--actor", "boss")

    assert set(ConfigChange.objects.values_list("actor", flat=True)) == {boss.pk}


@pytest.mark.parametrize("username", ["nobody", "agent"])
def test_command_refuses_an_actor_who_is_not_an_administrator(branch: Calendar, username: str) -> None:
    make_user("agent", role=Role.AGENT)

    with pytest.raises(CommandError, match="not an active administrator"):
        run("--calendar", "branch", "--year", "2026", "--actor", username)

    assert stored(branch, 2026) == {}


def test_command_is_idempotent(branch: Calendar) -> None:
    run("--calendar", "branch", "--year", "2026")
    before = revision(branch)

    out, _ = run("--calendar", "branch", "--year", "2026")

    assert f"0 created, 0 updated, 0 removed, {len(china_year(2026))} unchanged" in out
    assert revision(branch) == before
    assert ConfigChange.objects.count() == len(china_year(2026))


def test_command_replace_removes_stale_dates(branch: Calendar) -> None:
    CalendarDate.objects.create(calendar=branch, date=date(2026, 3, 3), kind=DateKind.HOLIDAY, name="Stale")

    out, _ = run("--calendar", "branch", "--year", "2026", "--replace")

    assert "1 removed" in out
    assert date(2026, 3, 3) not in stored(branch, 2026)


def test_command_dry_run_writes_nothing(branch: Calendar) -> None:
    CalendarDate.objects.create(calendar=branch, date=date(2026, 3, 3), kind=DateKind.HOLIDAY, name="Stale")
    before = revision(branch)

    out, _ = run("--calendar", "branch", "--year", "2026", "--replace", "--dry-run")

    assert "dry run, nothing written" in out
    assert f"would create {len(china_year(2026))}, update 0, remove 1" in out
    assert list(stored(branch, 2026)) == [date(2026, 3, 3)]
    assert revision(branch) == before
    assert not ConfigChange.objects.exists()


def test_command_imports_several_years(branch: Calendar) -> None:
    out, _ = run("--calendar", "branch", "--year", "2026", "--year", "2025")

    assert out.index("2025:") < out.index("2026:")
    assert stored(branch, 2025)
    assert stored(branch, 2026)


def test_command_warns_loudly_that_2027_has_no_official_make_up_days(branch: Calendar) -> None:
    out, err = run("--calendar", "branch", "--year", "2027")

    assert "2027: 19 holidays, 0 make-up working days" in out
    assert "no second source for 2027" in out
    assert "WARNING" in err
    assert "by hand" in err
    assert len(stored(branch, 2027)) == 19


def test_command_refuses_a_year_where_the_sources_disagree(branch: Calendar, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = [entry for entry in china_year(2026) if entry.date != date(2026, 10, 10)]
    monkeypatch.setattr(import_holidays, "china_year", lambda year: wrong)
    err = StringIO()

    with pytest.raises(CommandError, match="2026"):
        call_command("import_holidays", "--calendar", "branch", "--year", "2026", stdout=StringIO(), stderr=err)

    assert "disagrees on 1 day:" in err.getvalue()
    assert "2026-10-10" in err.getvalue()
    assert stored(branch, 2026) == {}


def test_command_writes_disagreeing_years_when_told_to(branch: Calendar, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = [entry for entry in china_year(2026) if entry.date != date(2026, 10, 10)]
    monkeypatch.setattr(import_holidays, "china_year", lambda year: wrong)

    out, err = run("--calendar", "branch", "--year", "2026", "--accept-disagreements")

    assert "2026-10-10" in err
    assert f"{len(wrong)} created" in out
    assert date(2026, 10, 10) not in stored(branch, 2026)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--calendar", "nope", "--year", "2026"], "Unknown calendar"),
        (["--calendar", "24x7", "--year", "2026"], "24×7"),
        (["--calendar", "office"], "--year"),
        (["--calendar", "office", "--year", "abc"], "invalid int"),
        (["--calendar", "office", "--year", "3000"], "3000"),
        (["--calendar", "office", "--year", "1900"], "1900"),
        (["--year", "2026"], "--calendar"),
        (["--calendar", "office", "--year", "2026", "--colour"], "unrecognized"),
    ],
)
def test_bad_arguments_are_readable_command_errors(db: None, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_a_command_error_exits_with_status_1_without_a_traceback(
    db: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # run_from_argv closes every connection afterwards, which would end the test's transaction.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    command = import_holidays.Command()

    with pytest.raises(SystemExit) as exited:
        command.run_from_argv(["manage.py", "import_holidays", "--calendar", "nope", "--year", "2026"])

    captured: Any = capsys.readouterr()
    assert exited.value.code == 1
    assert "CommandError: Unknown calendar" in captured.err
    assert "Traceback" not in captured.err
