"""Changes to the SLA configuration: business calendars, their hours and dates, policies and escalation rules.

This is the one write path for the SLA configuration: the API, the admin, the holiday import and the
demo loader call these actions and nothing else. Each action checks the actor and the input first,
writes in one transaction, records the change (before and after) in the configuration audit log, and
gives a calendar a new revision once when its business-time arithmetic changed (`_calendar_written`).
The actor is a user, or None for a command run on the server (recorded without a person).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import CustomerLevel, Team, User
from sopdesk.audit.actions import record_config_change
from sopdesk.audit.choices import Operation
from sopdesk.core.errors import ActionError, PermissionRefused, TransitionRefused
from sopdesk.core.validation import ValidationFailed, check_no_nulls, validate_instance
from sopdesk.sla.choices import DateKind, Metric, Weekday
from sopdesk.sla.holidays import DateEntry, ImportReport
from sopdesk.sla.models import (
    Calendar,
    CalendarDate,
    EscalationRule,
    SlaEscalation,
    SlaPolicy,
    TicketSla,
    WorkingInterval,
    minute_of_day,
)
from sopdesk.tickets.choices import OPEN_STATUSES
from sopdesk.tickets.models import Category

# A change of these parts of a calendar's state (or of its dates) changes the business-time arithmetic.
ARITHMETIC_STATE = frozenset({"time_zone", "is_24x7", "working_hours"})
CALENDAR_FIELDS = ("name", "time_zone", "is_24x7", "is_active")
TARGET_FIELDS = ("assignment_minutes", "first_response_minutes", "resolution_minutes", "update_interval_minutes")
SCALAR_FIELDS = ("name", "order", "is_active", "priority", "channel", *TARGET_FIELDS, "warning_percent")
OPTIONAL_REFERENCES = ("customer_level", "category", "backup_team")
POLICY_FIELDS = (*SCALAR_FIELDS, "calendar", *OPTIONAL_REFERENCES)
NULLABLE_POLICY_FIELDS = (*OPTIONAL_REFERENCES, *TARGET_FIELDS)
METRIC_TARGETS = {
    Metric.ASSIGNMENT: "assignment_minutes",
    Metric.FIRST_RESPONSE: "first_response_minutes",
    Metric.RESOLUTION: "resolution_minutes",
}

WorkingHours = Sequence[tuple[int, dt.time, dt.time]]
"""A weekly schedule: (weekday, starts_at, ends_at) rows in local time; an end of 00:00 is midnight."""


class NotFound(ActionError):
    """The calendar, policy or date entry named does not exist."""

    status_code = 404


# --- permissions ----------------------------------------------------------------------------


def check_may_read_config(user: User) -> None:
    """Refuse anyone but administrators, managers and superusers."""
    if not (user.is_superuser or user.role in (Role.ADMIN, Role.MANAGER)):
        raise PermissionRefused(_("Only administrators and managers may read the SLA settings."))


def may_change_config(user: User) -> bool:
    """Return True for active administrators and superusers."""
    return user.is_administrator


def check_may_change_config(user: User) -> None:
    """Refuse anyone but administrators and superusers."""
    if not may_change_config(user):
        raise PermissionRefused(_("Only administrators may change the SLA settings."))


def _check_actor(actor: User | None) -> None:
    # None is a command run on the server: whoever runs it may change anything already.
    if actor is not None:
        check_may_change_config(actor)


# --- pure checks (shared with the admin forms) ----------------------------------------------


@dataclass(frozen=True)
class ScheduleProblem:
    """One invalid row of a weekly schedule: its position, the offending field and why."""

    index: int
    field: str
    message: str


def schedule_problems(rows: WorkingHours) -> list[ScheduleProblem]:
    """Return the problems of a weekly schedule in row order; ends of 00:00 are midnight.

    A row must end after it starts, in whole minutes, and must not overlap another row of its weekday
    (touching is fine: 09:00–12:00 and 12:00–13:00).
    """
    problems: list[ScheduleProblem] = []
    valid: list[tuple[int, int, int, int]] = []  # weekday, start, end, index
    for index, (weekday, starts_at, ends_at) in enumerate(rows):
        if starts_at.second or starts_at.microsecond or ends_at.second or ends_at.microsecond:
            problems.append(ScheduleProblem(index, "ends_at", _("Working hours are whole minutes.")))
            continue
        start, end = minute_of_day(starts_at, is_end=False), minute_of_day(ends_at, is_end=True)
        if end <= start:
            problems.append(ScheduleProblem(index, "ends_at", _("The interval must end after it starts.")))
            continue
        valid.append((weekday, start, end, index))
    valid.sort()
    for previous, current in pairwise(valid):
        if previous[0] == current[0] and current[1] < previous[2]:
            problems.append(
                ScheduleProblem(
                    current[3],
                    "starts_at",
                    _("This interval overlaps %(weekday)s %(start)s–%(end)s.")
                    % {
                        "weekday": Weekday(previous[0]).label,
                        "start": _clock(previous[1]),
                        "end": _clock(previous[2]),
                    },
                )
            )
    return sorted(problems, key=lambda problem: problem.index)


def _clock(minute: int) -> str:
    return f"{minute // 60 % 24:02d}:{minute % 60:02d}"


def rule_does_something(*, notify_team_lead: bool, has_contacts: bool, reassigns: bool, raises_priority: bool) -> bool:
    """Return True when an escalation rule would have an effect when it fires."""
    return notify_team_lead or has_contacts or reassigns or raises_priority


def rule_without_effect_message() -> str:
    """Return the refusal of a rule for which `rule_does_something` is False."""
    return _("The rule does nothing: notify the team lead or contacts, reassign to a team, or raise the priority.")


def may_be_escalation_contact(user: User) -> bool:
    """Escalation contacts read about other people's tickets: staff only, never requesters."""
    return user.is_active and not user.is_requester


def escalation_contact_choices() -> QuerySet[User]:
    """Return the users `may_be_escalation_contact` accepts, for choosers."""
    return User.objects.filter(is_active=True).exclude(role=Role.REQUESTER, is_superuser=False)


def _check_known(values: Iterable[str], known: Iterable[str]) -> None:
    unknown = sorted(set(values) - set(known))
    if unknown:  # a caller's mistake, not user input: the API schemas forbid other names
        raise TypeError(f"unknown fields: {', '.join(unknown)}")


# --- read helpers ---------------------------------------------------------------------------


def get_calendar(code: str, *, for_update: bool = False) -> Calendar:
    """Return the calendar `code` (locked for this transaction with `for_update`), else raise NotFound."""
    calendars = Calendar.objects.select_for_update() if for_update else Calendar.objects.all()
    calendar: Calendar | None = calendars.filter(code=code).first()
    if calendar is None:
        raise NotFound(_("No such calendar."), field="code")
    return calendar


def policy_rows() -> QuerySet[SlaPolicy]:
    """Return the policies with what their description shows: references, rules, contacts."""
    rules = EscalationRule.objects.select_related("reassign_to_team").prefetch_related(
        Prefetch("contacts", queryset=User.objects.only("username").order_by("username"))
    )
    return SlaPolicy.objects.select_related("calendar", "customer_level", "category", "backup_team").prefetch_related(
        Prefetch("escalation_rules", queryset=rules)
    )


def get_policy(policy_id: int, *, for_update: bool = False) -> SlaPolicy:
    """Return the policy `policy_id` (bare and locked with `for_update`, else with `policy_rows` relations)."""
    policies = SlaPolicy.objects.select_for_update() if for_update else policy_rows()
    policy: SlaPolicy | None = policies.filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(_("No such policy."), field="policy_id")
    return policy


# --- calendars ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Written:
    """One configuration row as it was before and is after a write (empty mappings: created / deleted)."""

    target: models.Model
    operation: Operation
    before: Mapping[str, Any]
    after: Mapping[str, Any]


def _hours_state(working_hours: WorkingHours) -> list[dict[str, Any]]:
    return [
        {"weekday": int(weekday), "starts_at": f"{start:%H:%M}", "ends_at": f"{end:%H:%M}"}
        for weekday, start, end in sorted(working_hours)
    ]


def _stored_hours(calendar: Calendar) -> list[tuple[int, dt.time, dt.time]]:
    return [(row.weekday, row.starts_at, row.ends_at) for row in calendar.intervals.all()]


def _calendar_state(calendar: Calendar, *, working_hours: WorkingHours | None = None) -> dict[str, Any]:
    """Return what the audit log shows of a calendar: its fields and weekly hours (stored ones unless given)."""
    hours = working_hours if working_hours is not None else _stored_hours(calendar)
    return {
        **{name: getattr(calendar, name) for name in ("code", *CALENDAR_FIELDS)},
        "working_hours": _hours_state(hours),
    }


def _date_state(row: CalendarDate) -> dict[str, Any]:
    return {
        "calendar": row.calendar.code,
        "date": row.date.isoformat(),
        "kind": row.kind,
        "name": row.name,
        "works_like": row.works_like if row.kind == DateKind.WORKING_DAY else None,
    }


def _calendar_written(calendar: Calendar, written: Sequence[_Written], *, actor: User | None, now: dt.datetime) -> None:
    """Record `written` in the audit log and give `calendar` one new revision if its arithmetic changed.

    The only place that bumps a calendar's revision: every write of hours, dates, time zone or 24×7 mode
    ends here, inside the transaction of the write. A write that changed nothing records and bumps nothing.
    """
    changes_arithmetic = False
    for item in written:
        change = record_config_change(
            item.target, operation=item.operation, before=item.before, after=item.after, actor=actor, now=now
        )
        if change is None:
            continue
        # A new calendar and every date change move the arithmetic; a calendar's name or activity does not.
        is_date = not isinstance(item.target, Calendar)
        if is_date or item.operation == Operation.CREATED or ARITHMETIC_STATE & {*change.before, *change.after}:
            changes_arithmetic = True
    if changes_arithmetic:
        calendar.bump_revision()


def _check_schedule(working_hours: WorkingHours) -> None:
    problems = schedule_problems(working_hours)
    if problems:
        raise ValidationFailed({f"working_hours[{p.index}].{p.field}": [p.message] for p in problems})


def _check_has_hours(calendar: Calendar, *, hour_count: int) -> None:
    # Without hours (and not 24×7) nothing would ever fall due: the arithmetic would count it as 24×7.
    if calendar.is_active and not calendar.is_24x7 and hour_count == 0:
        raise ValidationFailed({"working_hours": [_("An active calendar that is not 24×7 needs working hours.")]})


def _check_unused(calendar: Calendar) -> None:
    names = list(SlaPolicy.objects.filter(calendar=calendar, is_active=True).values_list("name", flat=True))
    if names:
        raise TransitionRefused(
            _("Active policies use this calendar: %(policies)s. Move or deactivate them first.")
            % {"policies": ", ".join(names)},
            field="is_active",
        )


def _write_hours(calendar: Calendar, working_hours: WorkingHours) -> None:
    calendar.intervals.all().delete()
    WorkingInterval.objects.bulk_create(
        WorkingInterval(calendar=calendar, weekday=weekday, starts_at=start, ends_at=end)
        for weekday, start, end in sorted(working_hours)
    )


def create_calendar(
    *,
    code: str,
    name: str,
    time_zone: str = "Asia/Shanghai",
    is_24x7: bool = False,
    is_active: bool = True,
    working_hours: WorkingHours = (),
    actor: User | None,
    now: dt.datetime,
) -> Calendar:
    """Create a calendar with its weekly hours; an active one that is not 24×7 needs hours, a taken code is 409."""
    _check_actor(actor)
    _check_schedule(working_hours)
    calendar = Calendar(code=code, name=name, time_zone=time_zone, is_24x7=is_24x7, is_active=is_active)
    _check_has_hours(calendar, hour_count=len(working_hours))
    validate_instance(calendar, fields=("code", "name", "time_zone"))
    taken = TransitionRefused(_("A calendar with this code exists."), field="code")
    if Calendar.objects.filter(code=code).exists():
        raise taken
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint, so that the refusal leaves the caller's transaction usable
                calendar.save(force_insert=True)
        except IntegrityError as error:  # a concurrent create with the same code
            raise taken from error
        _write_hours(calendar, working_hours)
        after = _calendar_state(calendar, working_hours=working_hours)
        _calendar_written(calendar, [_Written(calendar, Operation.CREATED, {}, after)], actor=actor, now=now)
    return calendar


def update_calendar(
    calendar: Calendar,
    *,
    changes: Mapping[str, Any],
    working_hours: WorkingHours | None = None,
    actor: User | None,
    now: dt.datetime,
) -> Calendar:
    """Change `calendar` (locked by the caller); `working_hours`, if given, replaces the weekly schedule.

    `changes` maps CALENDAR_FIELDS to new values. A calendar that active policies use cannot be
    deactivated (409). The revision is bumped once if hours, time zone or 24×7 mode change.
    """
    _check_actor(actor)
    _check_known(changes, CALENDAR_FIELDS)
    check_no_nulls(changes)
    if working_hours is not None:
        _check_schedule(working_hours)
    before = _calendar_state(calendar)
    changed = [name for name, value in changes.items() if getattr(calendar, name) != value]
    for name in changed:
        setattr(calendar, name, changes[name])
    _check_has_hours(
        calendar, hour_count=len(working_hours) if working_hours is not None else len(before["working_hours"])
    )
    validate_instance(calendar, fields=[name for name in changed if name in {"name", "time_zone"}])
    if "is_active" in changed and not calendar.is_active:
        _check_unused(calendar)
    hours_change = working_hours is not None and _hours_state(working_hours) != before["working_hours"]
    with transaction.atomic():
        # update_fields keeps the revision column out: a full save would write back a stale revision.
        calendar.save(update_fields=changed)
        if working_hours is not None and hours_change:
            _write_hours(calendar, working_hours)
        after = _calendar_state(calendar, working_hours=working_hours)
        _calendar_written(calendar, [_Written(calendar, Operation.CHANGED, before, after)], actor=actor, now=now)
    return calendar


def replace_working_hours(
    calendar: Calendar, working_hours: WorkingHours, *, actor: User | None, now: dt.datetime
) -> None:
    """Make `working_hours` the weekly schedule of `calendar` (locked by the caller) and bump its revision once."""
    update_calendar(calendar, changes={}, working_hours=working_hours, actor=actor, now=now)


def _works_like(calendar: Calendar, *, date: dt.date, kind: str, works_like: int | None) -> int:
    """Return whose hours a make-up day on `date` follows: `works_like`, else its own weekday or Monday."""
    if kind == DateKind.HOLIDAY:
        if works_like is not None:
            raise ValidationFailed({"works_like": [_("Only make-up working days work like another weekday.")]})
        return Weekday.MONDAY
    weekday = int(works_like) if works_like is not None else None
    if weekday is None:
        weekday = date.weekday() if date.weekday() < Weekday.SATURDAY else Weekday.MONDAY
    if not calendar.intervals.filter(weekday=weekday).exists():
        raise ValidationFailed(
            {
                "works_like": [
                    _("The calendar has no working hours on %(weekday)s, so this day would have none.")
                    % {"weekday": Weekday(weekday).label}
                ]
            }
        )
    return weekday


def _check_takes_dates(calendar: Calendar) -> None:
    if calendar.is_24x7:
        raise TransitionRefused(_("A 24×7 calendar has no holidays or make-up working days."))


def put_calendar_date(
    calendar: Calendar,
    *,
    date: dt.date,
    kind: str,
    name: str = "",
    works_like: int | None = None,
    actor: User | None,
    now: dt.datetime,
) -> tuple[CalendarDate, bool]:
    """Enter a holiday or make-up working day on `date`, replacing what it had; return (row, created).

    A make-up day follows the hours of `works_like`, which must have some; 24×7 calendars have no dates (409).
    """
    _check_actor(actor)
    _check_takes_dates(calendar)
    weekday = _works_like(calendar, date=date, kind=kind, works_like=works_like)
    validate_instance(CalendarDate(calendar=calendar, date=date, kind=kind, name=name), fields=("kind", "name"))
    with transaction.atomic():
        row = CalendarDate.objects.select_for_update().filter(calendar=calendar, date=date).first()
        created = row is None
        if row is None:
            row = CalendarDate(calendar=calendar, date=date)
        before = {} if created else _date_state(row)
        row.kind, row.name, row.works_like = kind, name, weekday
        row.save()
        operation = Operation.CREATED if created else Operation.CHANGED
        _calendar_written(calendar, [_Written(row, operation, before, _date_state(row))], actor=actor, now=now)
    return row, created


def delete_calendar_date(calendar: Calendar, *, date: dt.date, actor: User | None, now: dt.datetime) -> None:
    """Remove the holiday or make-up working day on `date`: it follows the weekly hours again."""
    _check_actor(actor)
    row = calendar.dates.filter(date=date).first()
    if row is None:
        raise NotFound(_("The calendar has no entry for this date."), field="date")
    with transaction.atomic():
        # Recorded first: the log keeps the row's id, which the deletion clears.
        _calendar_written(calendar, [_Written(row, Operation.DELETED, _date_state(row), {})], actor=actor, now=now)
        row.delete()


def _years_q(years: Iterable[int]) -> Q:
    condition = Q()
    for year in years:
        condition |= Q(date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31))
    return condition


def import_calendar_dates(
    calendar: Calendar, entries: Sequence[DateEntry], *, replace: bool, actor: User | None, now: dt.datetime
) -> ImportReport:
    """Write `entries` as dates of `calendar` in one transaction and bump its revision once if anything changed.

    Existing dates are updated in place. With `replace`, other dates of the entries' years are removed.
    Every created, updated and removed date is recorded in the audit log. 24×7 calendars have no dates (409).
    """
    _check_actor(actor)
    _check_takes_dates(calendar)
    wanted = {entry.date: entry for entry in entries}
    if len(wanted) != len(entries):
        raise ValidationFailed({"entries": [_("Two entries for the same date.")]})
    report = ImportReport()
    if not wanted:
        return report
    with transaction.atomic():
        # One import at a time per calendar: the lock orders concurrent runs instead of failing on uniqueness.
        Calendar.objects.select_for_update().filter(pk=calendar.pk).first()
        existing = {row.date: row for row in calendar.dates.filter(_years_q({day.year for day in wanted}))}
        removed = [row for day, row in sorted(existing.items()) if replace and day not in wanted]
        new_rows: list[CalendarDate] = []
        changed_rows: list[tuple[CalendarDate, dict[str, Any]]] = []
        for day, entry in sorted(wanted.items()):
            row = existing.get(day)
            if row is None:
                new_rows.append(
                    CalendarDate(
                        calendar=calendar, date=day, kind=entry.kind, name=entry.name, works_like=entry.works_like
                    )
                )
            elif (row.kind, row.name, row.works_like) != (entry.kind, entry.name, entry.works_like):
                before = _date_state(row)
                row.kind, row.name, row.works_like = entry.kind, entry.name, entry.works_like
                changed_rows.append((row, before))
            else:
                report.unchanged += 1
        CalendarDate.objects.bulk_create(new_rows)
        CalendarDate.objects.bulk_update([row for row, _before in changed_rows], ["kind", "name", "works_like"])
        # bulk_create sets the ids (RETURNING on PostgreSQL and SQLite); removed rows are recorded while they
        # still have theirs, and deleted after.
        written = [_Written(row, Operation.DELETED, _date_state(row), {}) for row in removed]
        written += [_Written(row, Operation.CREATED, {}, _date_state(row)) for row in new_rows]
        written += [_Written(row, Operation.CHANGED, before, _date_state(row)) for row, before in changed_rows]
        _calendar_written(calendar, written, actor=actor, now=now)
        CalendarDate.objects.filter(pk__in=[row.pk for row in removed]).delete()
        report.removed = [row.date for row in removed]
        report.created = [row.date for row in new_rows]
        report.updated = [row.date for row, _before in changed_rows]
    return report


# --- policies -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyDraft:
    """A new policy as submitted: calendar, customer level, category and backup team by code."""

    name: str
    priority: str
    calendar: str
    order: int = 100
    is_active: bool = True
    customer_level: str | None = None
    category: str | None = None
    channel: str = ""
    assignment_minutes: int | None = None
    first_response_minutes: int | None = None
    resolution_minutes: int | None = None
    update_interval_minutes: int | None = None
    warning_percent: int = 75
    backup_team: str | None = None


@dataclass(frozen=True)
class RuleSpec:
    """One escalation rule as submitted: `id` of an existing rule to keep it, contacts by username, team by code."""

    metric: str
    offset_minutes: int
    id: int | None = None
    notify_team_lead: bool = True
    contacts: Sequence[str] = ()
    reassign_to_team: str | None = None
    raise_priority: bool = False
    is_active: bool = True


@dataclass
class _RulePlan:
    rule: EscalationRule
    contacts: list[User]


def _set_references(policy: SlaPolicy, changes: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
    """Set the rows that codes in `changes` name; unknown or deactivated ones become field errors."""
    if "calendar" in changes:
        calendar = Calendar.objects.filter(code=changes["calendar"]).first()
        if calendar is None:
            errors["calendar"] = [_("Unknown calendar.")]
        elif not calendar.is_active:
            errors["calendar"] = [_("This calendar is deactivated.")]
        else:
            policy.calendar = calendar
    lookups: dict[str, Any] = {
        "customer_level": CustomerLevel.objects.all(),
        "category": Category.objects.all(),
        "backup_team": Team.objects.all(),
    }
    for name in OPTIONAL_REFERENCES:
        if name not in changes:
            continue
        row = None
        if changes[name] is not None:
            row = lookups[name].filter(code=changes[name]).first()
            if row is None:
                errors[name] = [_("Unknown code.")]
                continue
            if not getattr(row, "is_active", True):
                errors[name] = [_("This entry is deactivated.")]
                continue
        setattr(policy, name, row)


def _plan_rules(policy: SlaPolicy, specs: Sequence[RuleSpec], errors: dict[str, list[str]]) -> list[_RulePlan]:
    """Build the rules of `specs` in memory (existing ones by id); problems become field errors."""
    existing = {rule.pk: rule for rule in policy.escalation_rules.all()} if policy.pk else {}
    usernames = {name for spec in specs for name in spec.contacts}
    users = {user.username: user for user in User.objects.filter(username__in=usernames)}
    codes = {spec.reassign_to_team for spec in specs if spec.reassign_to_team}
    teams = {team.code: team for team in Team.objects.filter(code__in=codes)}
    plans: list[_RulePlan] = []
    seen: set[int] = set()
    for index, spec in enumerate(specs):
        prefix = f"escalation_rules[{index}]"
        rule = EscalationRule(policy=policy)
        if spec.id is not None:
            if spec.id not in existing:
                errors[f"{prefix}.id"] = [_("This policy has no rule with this id.")]
            elif spec.id in seen:
                errors[f"{prefix}.id"] = [_("This rule is listed twice.")]
            else:
                rule = existing[spec.id]
            seen.add(spec.id)
        contacts: list[User] = []
        for position, username in enumerate(dict.fromkeys(spec.contacts)):
            user = users.get(username)
            if user is None or not user.is_active:
                errors[f"{prefix}.contacts[{position}]"] = [_("Unknown user.")]
            elif not may_be_escalation_contact(user):
                errors[f"{prefix}.contacts[{position}]"] = [_("Requesters cannot be escalation contacts.")]
            else:
                contacts.append(user)
        team = teams.get(spec.reassign_to_team) if spec.reassign_to_team else None
        if spec.reassign_to_team and team is None:
            errors[f"{prefix}.reassign_to_team"] = [_("Unknown team.")]
        elif team is not None and not team.is_active:
            errors[f"{prefix}.reassign_to_team"] = [_("This team is deactivated.")]
        if not rule_does_something(
            notify_team_lead=spec.notify_team_lead,
            has_contacts=bool(spec.contacts),
            reassigns=bool(spec.reassign_to_team),
            raises_priority=spec.raise_priority,
        ):
            errors[prefix] = [rule_without_effect_message()]
        rule.metric, rule.offset_minutes = spec.metric, spec.offset_minutes
        rule.notify_team_lead, rule.raise_priority = spec.notify_team_lead, spec.raise_priority
        rule.reassign_to_team, rule.is_active = team, spec.is_active
        plans.append(_RulePlan(rule=rule, contacts=contacts))
    return plans


def _check_rule_targets(
    policy: SlaPolicy, rules: Sequence[EscalationRule], errors: dict[str, list[str]], *, listed: bool
) -> None:
    """An active rule on a metric without a target would never fire: name the rule, or the target removed."""
    for index, rule in enumerate(rules):
        target = METRIC_TARGETS[Metric(rule.metric)]
        if rule.is_active and getattr(policy, target) is None:
            if listed:
                errors.setdefault(f"escalation_rules[{index}].metric", []).append(
                    _("The policy has no target for this metric, so the rule would never fire.")
                )
            else:
                errors.setdefault(target, []).append(
                    _("Active escalation rules watch this target: remove or deactivate them first.")
                )


def _check_policy(policy: SlaPolicy, errors: dict[str, list[str]], *, fields: Iterable[str]) -> None:
    if errors:
        raise ValidationFailed(errors)
    validate_instance(policy, fields=fields)


def _rule_state(rule: EscalationRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "metric": rule.metric,
        "offset_minutes": rule.offset_minutes,
        "notify_team_lead": rule.notify_team_lead,
        "contacts": [user.username for user in rule.contacts.all()],
        "reassign_to_team": rule.reassign_to_team.code if rule.reassign_to_team is not None else None,
        "raise_priority": rule.raise_priority,
        "is_active": rule.is_active,
    }


def _policy_state(policy: SlaPolicy) -> dict[str, Any]:
    """Return what the audit log shows of a policy: its fields, references by code and its rules as stored."""
    rules = (
        EscalationRule.objects.filter(policy=policy)
        .select_related("reassign_to_team")
        .prefetch_related(Prefetch("contacts", queryset=User.objects.only("username").order_by("username")))
        .order_by("pk")
    )
    references = {
        name: getattr(related, "code", None)
        for name, related in (
            ("calendar", policy.calendar),
            ("customer_level", policy.customer_level),
            ("category", policy.category),
            ("backup_team", policy.backup_team),
        )
    }
    return {
        **{name: getattr(policy, name) for name in SCALAR_FIELDS},
        **references,
        "escalation_rules": [_rule_state(rule) for rule in rules] if policy.pk is not None else [],
    }


def _policy_written(
    policy: SlaPolicy, *, operation: Operation, before: Mapping[str, Any], actor: User | None, now: dt.datetime
) -> None:
    record_config_change(policy, operation=operation, before=before, after=_policy_state(policy), actor=actor, now=now)


def _save_rules(policy: SlaPolicy, plans: Sequence[_RulePlan]) -> None:
    """Make `plans` the policy's rules; left-out rules that already fired are deactivated, not deleted."""
    kept = {plan.rule.pk for plan in plans if plan.rule.pk is not None}
    dropped = set(policy.escalation_rules.exclude(pk__in=kept).values_list("pk", flat=True))
    # Escalation records refer to rules that fired (and ticket clocks remember them): keep those rows.
    fired = set(SlaEscalation.objects.filter(rule_id__in=dropped).values_list("rule_id", flat=True))
    EscalationRule.objects.filter(pk__in=fired).update(is_active=False)
    EscalationRule.objects.filter(pk__in=dropped - fired).delete()
    for plan in plans:
        plan.rule.save()
        plan.rule.contacts.set(plan.contacts)
    rearm_open_clocks(policy)


def rearm_open_clocks(policy: SlaPolicy) -> int:
    """Make the next sweep look again at the open tickets measured by `policy` (its rules changed).

    A new rule whose threshold a ticket already passed fires at that sweep, once; without this a
    ticket would only meet changed rules at its next scheduled check, or never if it has none.
    The version bump is the scanner's compare-and-set token: a sweep that read a row before this
    change cannot write its result (worked out with the old rules) over it.
    """
    # Any instant in the past makes the row due; the clock's own start needs no `now`.
    return TicketSla.objects.filter(policy=policy, ticket__status__in=OPEN_STATUSES).update(
        next_check_at=F("started_at"), version=F("version") + 1
    )


def create_policy(
    *, draft: PolicyDraft, escalation_rules: Sequence[RuleSpec] = (), actor: User | None, now: dt.datetime
) -> SlaPolicy:
    """Create a policy with its escalation rules; unknown or deactivated codes are field errors (422).

    New tickets are measured against the first active matching policy by `order`; open tickets keep their targets.
    """
    _check_actor(actor)
    policy = SlaPolicy()
    for name in SCALAR_FIELDS:
        setattr(policy, name, getattr(draft, name))
    errors: dict[str, list[str]] = {}
    _set_references(policy, {name: getattr(draft, name) for name in ("calendar", *OPTIONAL_REFERENCES)}, errors)
    plans = _plan_rules(policy, escalation_rules, errors)
    _check_rule_targets(policy, [plan.rule for plan in plans], errors, listed=True)
    _check_policy(policy, errors, fields=SCALAR_FIELDS)
    with transaction.atomic():
        policy.save()
        _save_rules(policy, plans)
        _policy_written(policy, operation=Operation.CREATED, before={}, actor=actor, now=now)
    return policy


def update_policy(
    policy: SlaPolicy,
    *,
    changes: Mapping[str, Any],
    escalation_rules: Sequence[RuleSpec] | None = None,
    actor: User | None,
    now: dt.datetime,
) -> SlaPolicy:
    """Change `policy` (locked by the caller); `escalation_rules`, if given, replaces the whole list.

    `changes` maps POLICY_FIELDS to values (references by code; null clears NULLABLE_POLICY_FIELDS).
    Open tickets keep the targets they started with; rule changes reach them at their next sweep.
    """
    _check_actor(actor)
    _check_known(changes, POLICY_FIELDS)
    check_no_nulls(changes, nullable=NULLABLE_POLICY_FIELDS)
    before = _policy_state(policy)
    for name in SCALAR_FIELDS:
        if name in changes:
            setattr(policy, name, changes[name])
    errors: dict[str, list[str]] = {}
    _set_references(policy, changes, errors)
    if changes.get("is_active") and "calendar" not in changes and not policy.calendar.is_active:
        errors["is_active"] = [_("The policy's calendar is deactivated: choose another calendar.")]
    plans = _plan_rules(policy, escalation_rules, errors) if escalation_rules is not None else None
    if plans is not None:
        _check_rule_targets(policy, [plan.rule for plan in plans], errors, listed=True)
    else:
        _check_rule_targets(policy, list(policy.escalation_rules.all()), errors, listed=False)
    _check_policy(policy, errors, fields=[name for name in SCALAR_FIELDS if name in changes])
    with transaction.atomic():
        policy.save(update_fields=[name for name in POLICY_FIELDS if name in changes])
        if plans is not None:
            _save_rules(policy, plans)
        _policy_written(policy, operation=Operation.CHANGED, before=before, actor=actor, now=now)
    return policy


def replace_escalation_rules(
    policy: SlaPolicy, escalation_rules: Sequence[RuleSpec], *, actor: User | None, now: dt.datetime
) -> None:
    """Make `escalation_rules` the rules of `policy` (locked by the caller); send existing rules with their `id`.

    Rules left out are deleted, or deactivated when they already fired.
    """
    update_policy(policy, changes={}, escalation_rules=escalation_rules, actor=actor, now=now)
