"""SLA configuration actions and their checks, called directly: calendars, hours, dates, policies, rules."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from time import monotonic, sleep
from typing import Any, TypeVar

import pytest
from django.db import connection, transaction
from django.utils import timezone

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.core.errors import ActionError, PermissionRefused, TransitionRefused
from sopdesk.core.validation import ValidationFailed, check_no_nulls
from sopdesk.sla import config
from sopdesk.sla.calendars import to_business_calendar
from sopdesk.sla.choices import DateKind, SlaEventKind, Weekday
from sopdesk.sla.config import PolicyDraft, RuleSpec, ScheduleProblem
from sopdesk.sla.models import (
    Calendar,
    CalendarDate,
    EscalationRule,
    SlaEscalation,
    SlaPolicy,
    TicketSla,
    WorkingInterval,
)
from sopdesk.sla.scanner import SweepReport, _clock_values, _compare_and_set, due_rows, sweep
from sopdesk.testing import factories
from sopdesk.tickets.actions import assign_ticket
from sopdesk.tickets.models import Category, Ticket

pytestmark = pytest.mark.django_db

RefusalT = TypeVar("RefusalT", bound=ActionError)
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
OFFICE_HOURS = [(day, start, end) for day in range(5) for start, end in ((time(9), time(12)), (time(13, 30), time(18)))]


@pytest.fixture
def admin(db: None) -> User:
    return factories.make_user("admin", role=Role.ADMIN)


@pytest.fixture
def office() -> Calendar:
    return Calendar.objects.get(code="office")


@pytest.fixture
def always() -> Calendar:
    return Calendar.objects.get(code="24x7")


@pytest.fixture
def bumps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the code of the calendar on every revision bump."""
    calls: list[str] = []
    original = Calendar.bump_revision

    def counting(calendar: Calendar) -> None:
        calls.append(calendar.code)
        original(calendar)

    monkeypatch.setattr(Calendar, "bump_revision", counting)
    return calls


def configuration() -> tuple[list[Any], ...]:
    """Return every stored row of the SLA configuration, to show that a refused change wrote nothing."""
    return (
        list(Calendar.objects.order_by("pk").values_list()),
        list(WorkingInterval.objects.order_by("pk").values_list()),
        list(CalendarDate.objects.order_by("pk").values_list()),
        list(SlaPolicy.objects.order_by("pk").values_list()),
        list(EscalationRule.objects.order_by("pk").values_list()),
        list(EscalationRule.contacts.through.objects.order_by("pk").values_list()),
    )


def refused_without_writing(
    error: type[RefusalT], change: Callable[[], object], *, bumps: list[str] | None = None
) -> RefusalT:
    """Run `change`, assert it raises `error` and that no configuration row and no revision changed."""
    before = configuration()
    with pytest.raises(error) as caught:
        change()
    assert configuration() == before
    assert not bumps
    return caught.value


def fields_of(error: ActionError) -> set[str]:
    return set(error.errors) if isinstance(error, ValidationFailed) else {str(error.field)}


def p(priority: str) -> SlaPolicy:
    return SlaPolicy.objects.get(priority=priority)


# --- permissions ----------------------------------------------------------------------------


def test_administrators_and_managers_may_read_the_configuration(admin: User, manager: User) -> None:
    config.check_may_read_config(admin)
    config.check_may_read_config(manager)


@pytest.mark.parametrize("persona", ["requester", "outsider", "agent", "engineer", "team_lead", "auditor"])
def test_other_personas_may_not_read_the_configuration(request: pytest.FixtureRequest, persona: str) -> None:
    with pytest.raises(PermissionRefused):
        config.check_may_read_config(request.getfixturevalue(persona))


def test_only_administrators_may_change_the_configuration(admin: User, manager: User, outsider: User) -> None:
    config.check_may_change_config(admin)
    for user in (manager, outsider):
        with pytest.raises(PermissionRefused):
            config.check_may_change_config(user)


def test_a_superuser_of_any_role_may_change_the_configuration(agent: User) -> None:
    agent.is_superuser = True

    config.check_may_change_config(agent)
    config.check_may_read_config(agent)


# --- pure checks ----------------------------------------------------------------------------


def test_a_valid_schedule_has_no_problems() -> None:
    touching_until_midnight = [(0, time(0), time(12)), (0, time(12), time(0))]

    assert config.schedule_problems(OFFICE_HOURS) == []
    assert config.schedule_problems(touching_until_midnight) == []
    assert config.schedule_problems([]) == []


def test_schedule_problems_name_the_row_and_field_in_row_order() -> None:
    rows = [
        (0, time(9), time(12)),
        (1, time(9), time(12)),
        (0, time(18), time(9)),
        (0, time(11), time(13)),
        (2, time(9, 0, 30), time(10)),
    ]

    problems = config.schedule_problems(rows)

    assert [(problem.index, problem.field) for problem in problems] == [
        (2, "ends_at"),
        (3, "starts_at"),
        (4, "ends_at"),
    ]
    assert problems[0].message == "The interval must end after it starts."
    assert problems[1] == ScheduleProblem(3, "starts_at", "This interval overlaps Monday 09:00–12:00.")
    assert problems[2].message == "Working hours are whole minutes."


def test_overlaps_are_only_between_rows_of_one_weekday() -> None:
    assert config.schedule_problems([(0, time(9), time(18)), (1, time(9), time(18))]) == []
    assert [p.index for p in config.schedule_problems([(3, time(10), time(11)), (3, time(9), time(18))])] == [0]


@pytest.mark.parametrize("effect", ["notify_team_lead", "has_contacts", "reassigns", "raises_priority"])
def test_a_rule_with_any_one_effect_does_something(effect: str) -> None:
    effects = dict.fromkeys(("notify_team_lead", "has_contacts", "reassigns", "raises_priority"), False)

    assert config.rule_does_something(**{**effects, effect: True}) is True
    assert config.rule_does_something(**effects) is False
    assert "does nothing" in config.rule_without_effect_message()


def test_escalation_contacts_are_active_staff_and_the_chooser_offers_exactly_them(
    requester: User, agent: User, engineer: User
) -> None:
    engineer.is_active = False
    engineer.save(update_fields=["is_active"])
    root = factories.make_user("root")
    root.is_superuser = True
    root.save(update_fields=["is_superuser"])

    assert [config.may_be_escalation_contact(user) for user in (requester, agent, engineer, root)] == [
        False,
        True,
        False,
        True,
    ]
    offered = set(config.escalation_contact_choices())
    assert {requester, agent, engineer, root} & offered == {agent, root}


def test_check_no_nulls_names_every_null_field_except_the_nullable_ones() -> None:
    check_no_nulls({"name": "x", "category": None}, nullable=["category"])

    with pytest.raises(ValidationFailed) as caught:
        check_no_nulls({"time_zone": None, "name": None, "category": None, "order": 1}, nullable=["category"])

    assert caught.value.errors == {"name": ["This field cannot be null."], "time_zone": ["This field cannot be null."]}


# --- read helpers ---------------------------------------------------------------------------


def test_unknown_calendars_and_policies_are_not_found() -> None:
    with pytest.raises(config.NotFound) as calendar:
        config.get_calendar("nope")
    with pytest.raises(config.NotFound) as policy:
        config.get_policy(999_999, for_update=True)

    assert (calendar.value.status_code, calendar.value.field) == (404, "code")
    assert (policy.value.status_code, policy.value.field) == (404, "policy_id")
    assert config.get_calendar("office", for_update=True).code == "office"


# --- create_calendar ------------------------------------------------------------------------


def test_create_calendar_stores_the_sorted_schedule_and_bumps_the_revision_once(admin: User, bumps: list[str]) -> None:
    calendar = config.create_calendar(
        code="shenzhen",
        name="深圳 Office",
        time_zone="Asia/Hong_Kong",
        working_hours=[(5, time(22), time(0)), (0, time(9), time(18))],
        actor=admin,
        now=NOW,
    )

    stored = Calendar.objects.get(code="shenzhen")
    assert calendar.pk == stored.pk
    assert calendar.revision == stored.revision > 0
    assert bumps == ["shenzhen"]
    assert list(stored.intervals.values_list("weekday", "starts_at", "ends_at")) == [
        (0, time(9), time(18)),
        (5, time(22), time(0)),
    ]
    assert to_business_calendar(stored).zone.key == "Asia/Hong_Kong"


def test_a_24x7_calendar_is_created_without_hours(admin: User) -> None:
    calendar = config.create_calendar(code="noc", name="NOC", is_24x7=True, actor=admin, now=NOW)

    assert calendar.is_24x7
    assert not calendar.intervals.exists()


def test_create_calendar_refuses_a_manager(manager: User, bumps: list[str]) -> None:
    refused_without_writing(
        PermissionRefused,
        lambda: config.create_calendar(code="x", name="X", working_hours=OFFICE_HOURS, actor=manager, now=NOW),
        bumps=bumps,
    )


def test_create_calendar_refuses_overlapping_hours_naming_the_row(admin: User, bumps: list[str]) -> None:
    hours = [(1, time(9), time(12)), (1, time(10), time(11))]

    error = refused_without_writing(
        ValidationFailed,
        lambda: config.create_calendar(code="x", name="X", working_hours=hours, actor=admin, now=NOW),
        bumps=bumps,
    )

    assert fields_of(error) == {"working_hours[1].starts_at"}


def test_create_calendar_refuses_an_active_office_calendar_without_hours(admin: User, bumps: list[str]) -> None:
    error = refused_without_writing(
        ValidationFailed, lambda: config.create_calendar(code="x", name="X", actor=admin, now=NOW), bumps=bumps
    )

    assert fields_of(error) == {"working_hours"}
    # Inactive, it may wait for its hours.
    assert config.create_calendar(code="x", name="X", is_active=False, actor=admin, now=NOW).pk


def test_create_calendar_refuses_a_taken_code_with_a_conflict(admin: User, bumps: list[str]) -> None:
    error = refused_without_writing(
        TransitionRefused,
        lambda: config.create_calendar(code="office", name="Again", working_hours=OFFICE_HOURS, actor=admin, now=NOW),
        bumps=bumps,
    )

    assert (error.status_code, error.field) == (409, "code")


def test_create_calendar_validates_the_model_fields_for_callers_without_a_schema(admin: User, bumps: list[str]) -> None:
    error = refused_without_writing(
        ValidationFailed,
        lambda: config.create_calendar(
            code="has space", name="bell\x07", time_zone="Mars/Olympus", is_24x7=True, actor=admin, now=NOW
        ),
        bumps=bumps,
    )

    assert fields_of(error) == {"code", "name", "time_zone"}


# --- update_calendar ------------------------------------------------------------------------


def test_renaming_a_calendar_leaves_the_revision_alone(admin: User, office: Calendar, bumps: list[str]) -> None:
    before = office.revision

    config.update_calendar(office, changes={"name": "Beijing office"}, actor=admin, now=NOW)

    office.refresh_from_db()
    assert (office.name, office.revision) == ("Beijing office", before)
    assert bumps == []


def test_new_hours_and_time_zone_in_one_change_bump_the_revision_once(
    admin: User, office: Calendar, bumps: list[str]
) -> None:
    hours = [(day, time(8, 30), time(17, 30)) for day in range(6)]

    config.update_calendar(office, changes={"time_zone": "Asia/Tokyo"}, working_hours=hours, actor=admin, now=NOW)

    assert bumps == ["office"]
    cached = to_business_calendar(Calendar.objects.get(code="office"))
    assert cached.zone.key == "Asia/Tokyo"
    assert {interval.weekday for interval in cached.intervals} == set(range(6))


def test_switching_to_24x7_bumps_the_revision(admin: User, office: Calendar, bumps: list[str]) -> None:
    config.update_calendar(office, changes={"is_24x7": True, "name": office.name}, actor=admin, now=NOW)

    assert bumps == ["office"]
    assert Calendar.objects.get(code="office").is_24x7


def test_update_calendar_refuses_a_manager(manager: User, office: Calendar, bumps: list[str]) -> None:
    refused_without_writing(
        PermissionRefused,
        lambda: config.update_calendar(office, changes={"name": "X"}, actor=manager, now=NOW),
        bumps=bumps,
    )


def test_update_calendar_refuses_overlapping_hours_and_keeps_the_other_changes_out(
    admin: User, office: Calendar, bumps: list[str]
) -> None:
    hours = [(2, time(9), time(12)), (2, time(8), time(9, 30))]

    error = refused_without_writing(
        ValidationFailed,
        lambda: config.update_calendar(office, changes={"name": "X"}, working_hours=hours, actor=admin, now=NOW),
        bumps=bumps,
    )

    assert fields_of(error) == {"working_hours[0].starts_at"}


def test_update_calendar_refuses_removing_every_hour_of_an_active_calendar(
    admin: User, office: Calendar, bumps: list[str]
) -> None:
    error = refused_without_writing(
        ValidationFailed,
        lambda: config.update_calendar(office, changes={}, working_hours=[], actor=admin, now=NOW),
        bumps=bumps,
    )

    assert fields_of(error) == {"working_hours"}


def test_update_calendar_refuses_leaving_24x7_without_hours(admin: User, always: Calendar, bumps: list[str]) -> None:
    error = refused_without_writing(
        ValidationFailed,
        lambda: config.update_calendar(always, changes={"is_24x7": False}, actor=admin, now=NOW),
        bumps=bumps,
    )

    assert fields_of(error) == {"working_hours"}


def test_a_calendar_that_active_policies_use_cannot_be_deactivated(
    admin: User, office: Calendar, bumps: list[str]
) -> None:
    error = refused_without_writing(
        TransitionRefused,
        lambda: config.update_calendar(office, changes={"is_active": False}, actor=admin, now=NOW),
        bumps=bumps,
    )

    assert (error.status_code, error.field) == (409, "is_active")
    assert "P2" in error.message


def test_an_unused_calendar_can_be_deactivated(admin: User) -> None:
    calendar = config.create_calendar(code="branch", name="Branch", working_hours=OFFICE_HOURS, actor=admin, now=NOW)

    config.update_calendar(calendar, changes={"is_active": False}, actor=admin, now=NOW)

    assert not Calendar.objects.get(code="branch").is_active


def test_update_calendar_refuses_nulls_and_unknown_fields(admin: User, office: Calendar, bumps: list[str]) -> None:
    error = refused_without_writing(
        ValidationFailed,
        lambda: config.update_calendar(office, changes={"name": None}, actor=admin, now=NOW),
        bumps=bumps,
    )
    assert fields_of(error) == {"name"}

    with pytest.raises(TypeError):
        config.update_calendar(office, changes={"revision": 1}, actor=admin, now=NOW)


# --- replace_working_hours ------------------------------------------------------------------


def test_replace_working_hours_replaces_the_schedule_and_bumps_the_revision_once(
    admin: User, office: Calendar, bumps: list[str]
) -> None:
    config.replace_working_hours(office, [(6, time(10), time(16)), (0, time(10), time(16))], actor=admin, now=NOW)

    assert list(office.intervals.values_list("weekday", flat=True)) == [0, 6]
    assert bumps == ["office"]


def test_replace_working_hours_refuses_a_manager(manager: User, office: Calendar, bumps: list[str]) -> None:
    refused_without_writing(
        PermissionRefused,
        lambda: config.replace_working_hours(office, OFFICE_HOURS, actor=manager, now=NOW),
        bumps=bumps,
    )


def test_replace_working_hours_refuses_an_interval_ending_before_it_starts(
    admin: User, office: Calendar, bumps: list[str]
) -> None:
    error = refused_without_writing(
        ValidationFailed,
        lambda: config.replace_working_hours(
            office, [(0, time(9), time(12)), (0, time(18), time(9))], actor=admin, now=NOW
        ),
        bumps=bumps,
    )

    assert fields_of(error) == {"working_hours[1].ends_at"}


def test_replace_working_hours_refuses_an_empty_schedule_for_an_active_office_calendar(
    admin: User, office: Calendar, bumps: list[str]
) -> None:
    error = refused_without_writing(
        ValidationFailed, lambda: config.replace_working_hours(office, [], actor=admin, now=NOW), bumps=bumps
    )

    assert fields_of(error) == {"working_hours"}


# --- calendar dates -------------------------------------------------------------------------


def test_put_calendar_date_creates_then_replaces_and_bumps_the_revision_each_time(
    admin: User, office: Calendar, bumps: list[str]
) -> None:
    row, created = config.put_calendar_date(
        office, date=date(2027, 10, 1), kind=DateKind.HOLIDAY, name="国庆节", actor=admin, now=NOW
    )
    again, created_again = config.put_calendar_date(
        office, date=date(2027, 10, 1), kind=DateKind.HOLIDAY, name="National Day", actor=admin, now=NOW
    )

    assert (created, created_again) == (True, False)
    assert again.pk == row.pk
    assert CalendarDate.objects.get(calendar=office, date=date(2027, 10, 1)).name == "National Day"
    assert bumps == ["office", "office"]
    assert date(2027, 10, 1) in to_business_calendar(Calendar.objects.get(code="office")).holidays


def test_a_make_up_day_works_like_its_own_weekday_or_monday_unless_told(admin: User, office: Calendar) -> None:
    def works_like(day: date, weekday: int | None = None) -> int:
        row, _ = config.put_calendar_date(
            office, date=day, kind=DateKind.WORKING_DAY, works_like=weekday, actor=admin, now=NOW
        )
        return row.works_like

    assert works_like(date(2027, 9, 29)) == Weekday.WEDNESDAY
    assert works_like(date(2027, 9, 25)) == Weekday.MONDAY
    assert works_like(date(2027, 9, 26), Weekday.FRIDAY) == Weekday.FRIDAY


def test_put_calendar_date_refuses_a_manager(manager: User, office: Calendar, bumps: list[str]) -> None:
    refused_without_writing(
        PermissionRefused,
        lambda: config.put_calendar_date(office, date=date(2027, 10, 1), kind=DateKind.HOLIDAY, actor=manager, now=NOW),
        bumps=bumps,
    )


def test_a_holiday_does_not_work_like_another_day(admin: User, office: Calendar, bumps: list[str]) -> None:
    error = refused_without_writing(
        ValidationFailed,
        lambda: config.put_calendar_date(
            office, date=date(2027, 10, 1), kind=DateKind.HOLIDAY, works_like=Weekday.TUESDAY, actor=admin, now=NOW
        ),
        bumps=bumps,
    )

    assert fields_of(error) == {"works_like"}


def test_a_make_up_day_cannot_follow_a_weekday_without_hours(admin: User, office: Calendar, bumps: list[str]) -> None:
    error = refused_without_writing(
        ValidationFailed,
        lambda: config.put_calendar_date(
            office, date=date(2027, 10, 2), kind=DateKind.WORKING_DAY, works_like=Weekday.SATURDAY, actor=admin, now=NOW
        ),
        bumps=bumps,
    )

    assert fields_of(error) == {"works_like"}
    assert "Saturday" in " ".join(error.errors["works_like"])


def test_a_24x7_calendar_has_no_dates(admin: User, always: Calendar, bumps: list[str]) -> None:
    error = refused_without_writing(
        TransitionRefused,
        lambda: config.put_calendar_date(always, date=date(2027, 10, 1), kind=DateKind.HOLIDAY, actor=admin, now=NOW),
        bumps=bumps,
    )

    assert (error.status_code, error.field) == (409, None)


def test_put_calendar_date_validates_the_name_for_callers_without_a_schema(
    admin: User, office: Calendar, bumps: list[str]
) -> None:
    error = refused_without_writing(
        ValidationFailed,
        lambda: config.put_calendar_date(
            office, date=date(2027, 10, 1), kind=DateKind.HOLIDAY, name="x" * 101, actor=admin, now=NOW
        ),
        bumps=bumps,
    )

    assert fields_of(error) == {"name"}


def test_delete_calendar_date_removes_the_entry_and_bumps_the_revision(
    admin: User, office: Calendar, bumps: list[str]
) -> None:
    config.delete_calendar_date(office, date=date(2026, 10, 1), actor=admin, now=NOW)

    assert not office.dates.filter(date=date(2026, 10, 1)).exists()
    assert bumps == ["office"]
    assert date(2026, 10, 1) not in to_business_calendar(Calendar.objects.get(code="office")).holidays


def test_delete_calendar_date_refuses_a_manager(manager: User, office: Calendar, bumps: list[str]) -> None:
    refused_without_writing(
        PermissionRefused,
        lambda: config.delete_calendar_date(office, date=date(2026, 10, 1), actor=manager, now=NOW),
        bumps=bumps,
    )


def test_deleting_a_date_without_an_entry_is_not_found(admin: User, office: Calendar, bumps: list[str]) -> None:
    error = refused_without_writing(
        config.NotFound,
        lambda: config.delete_calendar_date(office, date=date(2026, 10, 8), actor=admin, now=NOW),
        bumps=bumps,
    )

    assert (error.status_code, error.field) == (404, "date")


# --- create_policy --------------------------------------------------------------------------


def draft(**overrides: Any) -> PolicyDraft:
    fields: dict[str, Any] = {
        "name": "VIP network P2",
        "priority": "P2",
        "calendar": "office",
        "assignment_minutes": 10,
        "first_response_minutes": 20,
        "resolution_minutes": 180,
        **overrides,
    }
    return PolicyDraft(**fields)


def test_create_policy_resolves_codes_and_stores_the_rules(
    admin: User, engineer: User, second_line: Team, bumps: list[str]
) -> None:
    policy = config.create_policy(
        draft=draft(order=5, customer_level="vip", category="network", channel="phone", backup_team="second-line"),
        escalation_rules=[
            RuleSpec(metric="first_response", offset_minutes=-5, contacts=["engineer", "engineer"]),
            RuleSpec(
                metric="resolution",
                offset_minutes=30,
                notify_team_lead=False,
                reassign_to_team="second-line",
                raise_priority=True,
            ),
        ],
        actor=admin,
        now=NOW,
    )

    stored = SlaPolicy.objects.get(pk=policy.pk)
    assert (stored.order, stored.calendar.code, stored.channel) == (5, "office", "phone")
    assert stored.customer_level is not None
    assert stored.category is not None
    assert (stored.customer_level.code, stored.category.code, stored.backup_team) == ("vip", "network", second_line)
    first_response, resolution = stored.escalation_rules.order_by("metric")
    assert list(first_response.contacts.all()) == [engineer]
    assert (resolution.reassign_to_team, resolution.raise_priority, resolution.notify_team_lead) == (
        second_line,
        True,
        False,
    )
    assert bumps == []


def test_create_policy_refuses_a_manager(manager: User) -> None:
    refused_without_writing(PermissionRefused, lambda: config.create_policy(draft=draft(), actor=manager, now=NOW))


def test_create_policy_names_every_unknown_or_deactivated_reference_at_once(admin: User, second_line: Team) -> None:
    Calendar.objects.create(code="old", name="Old", is_24x7=True, is_active=False)
    second_line.is_active = False
    second_line.save(update_fields=["is_active"])
    Category.objects.filter(code="network").update(is_active=False)

    error = refused_without_writing(
        ValidationFailed,
        lambda: config.create_policy(
            draft=draft(calendar="old", backup_team="second-line", category="network", customer_level="platinum"),
            escalation_rules=[RuleSpec(metric="resolution", offset_minutes=0, reassign_to_team="second-line")],
            actor=admin,
            now=NOW,
        ),
    )

    assert fields_of(error) == {
        "calendar",
        "backup_team",
        "category",
        "customer_level",
        "escalation_rules[0].reassign_to_team",
    }


def test_create_policy_refuses_a_rule_that_does_nothing(admin: User) -> None:
    error = refused_without_writing(
        ValidationFailed,
        lambda: config.create_policy(
            draft=draft(),
            escalation_rules=[RuleSpec(metric="resolution", offset_minutes=0, notify_team_lead=False)],
            actor=admin,
            now=NOW,
        ),
    )

    assert fields_of(error) == {"escalation_rules[0]"}


def test_create_policy_refuses_requesters_and_unknown_users_as_contacts(admin: User, requester: User) -> None:
    error = refused_without_writing(
        ValidationFailed,
        lambda: config.create_policy(
            draft=draft(),
            escalation_rules=[RuleSpec(metric="resolution", offset_minutes=0, contacts=["requester", "ghost"])],
            actor=admin,
            now=NOW,
        ),
    )

    assert error.errors == {
        "escalation_rules[0].contacts[0]": ["Requesters cannot be escalation contacts."],
        "escalation_rules[0].contacts[1]": ["Unknown user."],
    }


def test_create_policy_refuses_a_rule_on_a_metric_without_target(admin: User) -> None:
    error = refused_without_writing(
        ValidationFailed,
        lambda: config.create_policy(
            draft=draft(assignment_minutes=None),
            escalation_rules=[RuleSpec(metric="assignment", offset_minutes=0)],
            actor=admin,
            now=NOW,
        ),
    )

    assert fields_of(error) == {"escalation_rules[0].metric"}


def test_create_policy_refuses_an_id_for_a_new_policy(admin: User) -> None:
    rule = p("P1").escalation_rules.first()
    assert rule is not None

    error = refused_without_writing(
        ValidationFailed,
        lambda: config.create_policy(
            draft=draft(),
            escalation_rules=[RuleSpec(id=rule.pk, metric="resolution", offset_minutes=0)],
            actor=admin,
            now=NOW,
        ),
    )

    assert fields_of(error) == {"escalation_rules[0].id"}


def test_create_policy_validates_the_model_fields_after_the_references(admin: User) -> None:
    error = refused_without_writing(
        ValidationFailed,
        lambda: config.create_policy(draft=draft(warning_percent=100, priority="P9"), actor=admin, now=NOW),
    )

    assert fields_of(error) == {"warning_percent", "priority"}


# --- update_policy --------------------------------------------------------------------------


def test_update_policy_changes_targets_clears_optional_fields_and_keeps_the_rest(admin: User) -> None:
    p3 = p("P3")

    config.update_policy(
        p3, changes={"resolution_minutes": 900, "update_interval_minutes": None, "order": 1}, actor=admin, now=NOW
    )

    p3.refresh_from_db()
    assert (p3.resolution_minutes, p3.update_interval_minutes, p3.order) == (900, None, 1)
    assert (p3.calendar.code, p3.assignment_minutes) == ("office", 15)


def test_update_policy_with_rules_replaces_them(admin: User, engineer: User) -> None:
    p2 = p("P2")
    old = set(p2.escalation_rules.values_list("pk", flat=True))

    config.update_policy(
        p2,
        changes={"name": "P2 with contacts"},
        escalation_rules=[RuleSpec(metric="resolution", offset_minutes=-10, contacts=["engineer"])],
        actor=admin,
        now=NOW,
    )

    rule = EscalationRule.objects.get(policy=p2)
    assert rule.pk not in old
    assert list(rule.contacts.all()) == [engineer]
    assert SlaPolicy.objects.get(pk=p2.pk).name == "P2 with contacts"


def test_update_policy_refuses_a_manager(manager: User) -> None:
    p1 = p("P1")

    refused_without_writing(
        PermissionRefused, lambda: config.update_policy(p1, changes={"name": "X"}, actor=manager, now=NOW)
    )


def test_update_policy_refuses_removing_a_target_that_active_rules_watch(admin: User) -> None:
    p1 = p("P1")

    error = refused_without_writing(
        ValidationFailed,
        lambda: config.update_policy(p1, changes={"first_response_minutes": None}, actor=admin, now=NOW),
    )

    assert fields_of(error) == {"first_response_minutes"}


def test_update_policy_refuses_reactivating_on_a_deactivated_calendar(admin: User) -> None:
    calendar = Calendar.objects.create(code="old", name="Old", is_24x7=True)
    policy = SlaPolicy.objects.create(name="Old", priority="P4", calendar=calendar, is_active=False)
    Calendar.objects.filter(pk=calendar.pk).update(is_active=False)
    policy = SlaPolicy.objects.get(pk=policy.pk)

    error = refused_without_writing(
        ValidationFailed, lambda: config.update_policy(policy, changes={"is_active": True}, actor=admin, now=NOW)
    )

    assert fields_of(error) == {"is_active"}
    config.update_policy(policy, changes={"is_active": True, "calendar": "office"}, actor=admin, now=NOW)
    assert SlaPolicy.objects.get(pk=policy.pk).is_active


def test_update_policy_refuses_field_and_rule_problems_together(admin: User) -> None:
    p1 = p("P1")

    error = refused_without_writing(
        ValidationFailed,
        lambda: config.update_policy(
            p1,
            changes={"calendar": "nope"},
            escalation_rules=[RuleSpec(metric="resolution", offset_minutes=0, reassign_to_team="nope")],
            actor=admin,
            now=NOW,
        ),
    )

    assert fields_of(error) == {"calendar", "escalation_rules[0].reassign_to_team"}


def test_update_policy_refuses_nulls_and_unknown_fields(admin: User) -> None:
    p1 = p("P1")

    error = refused_without_writing(
        ValidationFailed, lambda: config.update_policy(p1, changes={"name": None}, actor=admin, now=NOW)
    )
    assert fields_of(error) == {"name"}

    with pytest.raises(TypeError):
        config.update_policy(p1, changes={"id": 7}, actor=admin, now=NOW)


# --- replace_escalation_rules ---------------------------------------------------------------


def test_replacing_rules_keeps_listed_ones_deletes_unfired_and_deactivates_fired_ones(
    admin: User, requester: User, service_desk: Team
) -> None:
    p1 = p("P1")
    first_response = p1.escalation_rules.get(metric="first_response")
    resolution = p1.escalation_rules.get(metric="resolution")
    ticket = factories.make_ticket(requester)
    now = timezone.now()
    SlaEscalation.objects.create(ticket=ticket, rule=resolution, metric="resolution", threshold_at=now, fired_at=now)

    config.replace_escalation_rules(
        p1,
        [
            RuleSpec(id=first_response.pk, metric="first_response", offset_minutes=10, raise_priority=True),
            RuleSpec(metric="assignment", offset_minutes=0),
        ],
        actor=admin,
        now=NOW,
    )

    rules = {rule.pk: rule for rule in p1.escalation_rules.all()}
    assert (rules[first_response.pk].offset_minutes, rules[first_response.pk].raise_priority) == (10, True)
    assert rules[resolution.pk].is_active is False
    new = [rule for pk, rule in rules.items() if pk not in {first_response.pk, resolution.pk}]
    assert [(rule.metric, rule.is_active) for rule in new] == [("assignment", True)]


def test_rules_left_out_that_never_fired_are_deleted(admin: User) -> None:
    p2 = p("P2")

    config.replace_escalation_rules(p2, [], actor=admin, now=NOW)

    assert not p2.escalation_rules.exists()


def test_replace_escalation_rules_refuses_a_manager(manager: User) -> None:
    p2 = p("P2")

    refused_without_writing(PermissionRefused, lambda: config.replace_escalation_rules(p2, [], actor=manager, now=NOW))


def test_a_rule_listed_twice_or_of_another_policy_is_refused(admin: User) -> None:
    p1, p2 = p("P1"), p("P2")
    own, other = p1.escalation_rules.first(), p2.escalation_rules.first()
    assert own is not None
    assert other is not None

    twice = refused_without_writing(
        ValidationFailed,
        lambda: config.replace_escalation_rules(
            p1, [RuleSpec(id=own.pk, metric="resolution", offset_minutes=0)] * 2, actor=admin, now=NOW
        ),
    )
    foreign = refused_without_writing(
        ValidationFailed,
        lambda: config.replace_escalation_rules(
            p1, [RuleSpec(id=other.pk, metric="resolution", offset_minutes=0)], actor=admin, now=NOW
        ),
    )

    assert fields_of(twice) == {"escalation_rules[1].id"}
    assert fields_of(foreign) == {"escalation_rules[0].id"}


def test_replace_escalation_rules_refuses_a_rule_on_a_metric_without_target(admin: User) -> None:
    p3 = p("P3")
    SlaPolicy.objects.filter(pk=p3.pk).update(assignment_minutes=None)
    p3.refresh_from_db()

    error = refused_without_writing(
        ValidationFailed,
        lambda: config.replace_escalation_rules(
            p3, [RuleSpec(metric="assignment", offset_minutes=0)], actor=admin, now=NOW
        ),
    )

    assert fields_of(error) == {"escalation_rules[0].metric"}


# --- re-arming open clocks races the scanner ------------------------------------------------

P3_DETAILS = {"impact": "single_user", "urgency": "high"}
OPENED = datetime(2026, 10, 12, 1, 0, tzinfo=UTC)  # Monday 09:00 in Beijing
# 13:35 in Beijing: the first-response warning is due, so the ticket's clock row is in the sweep.
SWEEP_AT = datetime(2026, 10, 12, 5, 35, tzinfo=UTC)
# Fires 30 business minutes after the ticket opened (first response due 14:30, 210 min before it): long passed.
LATE_RULE = RuleSpec(metric="first_response", offset_minutes=-210, notify_team_lead=True)


def open_assigned_p3(requester: User, agent: User) -> Ticket:
    ticket = factories.make_ticket(requester, now=OPENED, **P3_DETAILS)
    assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=OPENED)
    return ticket


def add_late_rule(admin: User) -> None:
    """Change the P3 rules as the API does: lock the policy, replace its rules, commit (re-arming its clocks)."""
    with transaction.atomic():
        policy = config.get_policy(p("P3").pk, for_update=True)
        config.replace_escalation_rules(policy, [LATE_RULE], actor=admin, now=SWEEP_AT)


def fired_once(ticket: Ticket) -> None:
    new_rule = EscalationRule.objects.get(policy=p("P3"), offset_minutes=-210)
    assert SlaEscalation.objects.filter(ticket=ticket, rule=new_rule).count() == 1
    assert ticket.events.filter(kind=SlaEventKind.SLA_ESCALATED).count() == 1
    assert ticket.events.filter(kind=SlaEventKind.SLA_WARNING, data__metric="first_response").count() == 1


@pytest.mark.parametrize(
    ("moment", "statement", "first_sweep_claims"),
    [
        # The sweep has not read the row yet: it reads the re-armed row and the new rules.
        ("before the sweep reads the due rows", 'FROM "sla_ticketsla" INNER JOIN', 1),
        # The sweep read the row (old version) but not the rules: its compare-and-set loses.
        ("after the sweep read the rows, before it reads the rules", 'FROM "sla_escalationrule"', 0),
        # The sweep read the row and the old rules and is working it out: its compare-and-set loses.
        ("while the sweep works with the old rules", 'FROM "sla_calendar"', 0),
    ],
)
def test_a_rule_change_landing_during_a_sweep_is_applied_exactly_once(
    admin: User, requester: User, agent: User, moment: str, statement: str, first_sweep_claims: int
) -> None:
    ticket = open_assigned_p3(requester, agent)
    landed: list[str] = []

    def rule_change_lands(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        # The change commits between two statements of the sweep on this connection (outside its
        # write transaction), as another process's commit would.
        if not landed and statement in sql:
            landed.append(moment)
            add_late_rule(admin)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(rule_change_lands):
        first = sweep(now=SWEEP_AT)
    second = sweep(now=SWEEP_AT)
    third = sweep(now=SWEEP_AT)

    assert landed == [moment]
    assert (first.claimed, first.lost) == (first_sweep_claims, 1 - first_sweep_claims)
    assert (second.claimed, third.claimed) == (1 - first_sweep_claims, 0)
    fired_once(ticket)


def test_re_arming_bumps_the_clock_version_so_a_stale_compare_and_set_loses(
    admin: User, requester: User, agent: User
) -> None:
    ticket = open_assigned_p3(requester, agent)
    [stale] = due_rows(now=SWEEP_AT, limit=10)
    before = _clock_values(stale)
    stale.next_check_at = None  # what a sweep with the old rules would write

    assert config.rearm_open_clocks(p("P3")) == 1

    assert not _compare_and_set(stale, before=before)
    row = TicketSla.objects.get(pk=ticket.pk)
    assert row.version == stale.version + 1
    assert row.next_check_at == row.started_at


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_re_arm_racing_a_sweep_on_postgresql_wins_and_the_new_rule_fires_once(requester: User, agent: User) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("real concurrent transactions need PostgreSQL; SQLite is covered by the interleaved test above")
    admin = factories.make_user("admin", role=Role.ADMIN)
    ticket = open_assigned_p3(requester, agent)
    rearmed, release = threading.Event(), threading.Event()
    reports: list[SweepReport] = []
    errors: list[BaseException] = []

    def change_rules() -> None:
        try:
            with transaction.atomic():
                policy = config.get_policy(p("P3").pk, for_update=True)
                config.replace_escalation_rules(policy, [LATE_RULE], actor=admin, now=SWEEP_AT)
                rearmed.set()
                # Hold the re-armed clock rows, uncommitted, while the sweep reads them and tries its compare-and-set.
                release.wait(timeout=60)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    def scan() -> None:
        try:
            reports.append(sweep(now=SWEEP_AT))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    changer = threading.Thread(target=change_rules)
    changer.start()
    assert rearmed.wait(timeout=60)
    scanner = threading.Thread(target=scan)
    scanner.start()
    # The sweep read the row (committed: the old version) and the old rules; its compare-and-set now
    # waits for the re-arm's row lock.
    waited_at = monotonic()
    while not sessions_waiting_for_a_lock():
        assert monotonic() - waited_at < 60, "the sweep never reached its compare-and-set"
        sleep(0.02)
    release.set()
    changer.join(timeout=60)
    scanner.join(timeout=60)

    assert errors == []
    assert [(report.claimed, report.lost) for report in reports] == [(0, 1)]
    assert sweep(now=SWEEP_AT).claimed == 1
    assert sweep(now=SWEEP_AT).claimed == 0
    fired_once(ticket)


def sessions_waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        (count,) = cursor.fetchone()
    return int(count)
