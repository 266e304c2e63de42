"""The SLA scanner: warnings, breaches and escalations for tickets whose next check is due.

Each ticket's next check instant is stored on its clock row behind a partial index. A sweep takes
due rows in that order in bounded batches, works out in memory what happened since the last
look (in threshold order, so a worker that was down for hours catches up exactly), and claims
each row by compare-and-set on its version before anything is written. A row another scanner
(or a concurrent ticket change) got first is left alone: every rule fires once.

A batch is read as plain rows (`ClockRow`s, no model instances, timestamps decoded in bulk),
evaluated with the clock functions before its transaction, claimed in one or two statements, and
its events, escalation records, notifications and e-mails written set-based from tuples: a sweep's
cost is the clock arithmetic, not the ORM.
"""

from __future__ import annotations

import functools
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Field
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from sopdesk.accounts.models import Team, TeamMembership, User
from sopdesk.core.bulk import bulk_cursor, db_columns, insert_rows, unnest_sql
from sopdesk.core.config_cache import StampedCache
from sopdesk.lib.businesstime import BusinessCalendar
from sopdesk.notifications.choices import NotificationKind
from sopdesk.notifications.outbox import NotificationRow, enqueue_rows
from sopdesk.sla import clocks, events, listeners
from sopdesk.sla.calendars import business_calendars
from sopdesk.sla.choices import Metric, SlaEventKind
from sopdesk.sla.clocks import ClockRow, Occurrence, OccurrenceKind, RuleSpec
from sopdesk.sla.models import EscalationRule, SlaEscalation, SlaPolicy, TicketSla
from sopdesk.tickets import actions as ticket_actions
from sopdesk.tickets import events as ticket_events
from sopdesk.tickets.choices import Priority
from sopdesk.tickets.events import EventRow
from sopdesk.tickets.models import Ticket

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500

# Every column a sweep may change on a clock row: the warnings and breaches it records, the
# escalations it fires, the missed updates it counts (clocks.skip_missed_updates) and the next
# check. The claim writes exactly these, so its statement is the same for every batch.
CLAIMED_FIELDS = (
    *(f"{metric.value}_{suffix}" for metric in clocks.CLOCK_METRICS for suffix in ("warned_at", "breached_at")),
    "update_due_at",
    "update_breached_at",
    "update_breach_count",
    "escalations_fired",
    "next_check_at",
)
_ESCALATION_COLUMNS = ("ticket", "rule", "metric", "threshold_at", "fired_at")


@dataclass
class SweepReport:
    """What one sweep did (the periodic task logs it; the benchmark prints it)."""

    batches: int = 0
    examined: int = 0
    claimed: int = 0
    lost: int = 0
    warnings: int = 0
    breaches: int = 0
    escalations: int = 0
    notifications: int = 0


class DueTicket(NamedTuple):
    """What a sweep needs of the ticket whose clocks are due, read with them."""

    pk: int
    number: str
    title: str
    status: str
    priority: str
    team_id: int | None
    assignee_id: int | None


class DueClock(NamedTuple):
    """A due clock row and its ticket."""

    sla: ClockRow
    ticket: DueTicket


class _Person(NamedTuple):
    email: str
    language: str
    muted_kinds: tuple[str, ...]


@dataclass
class _Rules:
    """The escalation rules and policies a batch needs, loaded once per batch."""

    specs: dict[int, list[RuleSpec]]
    rules: dict[int, EscalationRule]
    policies: dict[int, SlaPolicy]
    # Escalation contacts of each rule, in the order the rule lists them (active or not: a batch
    # notifies the ones active when it runs).
    contacts: dict[int, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> _Rules:
        active = EscalationRule.objects.filter(is_active=True).select_related("reassign_to_team")
        rules = {rule.pk: rule for rule in active.prefetch_related("contacts")}
        specs: dict[int, list[RuleSpec]] = defaultdict(list)
        for rule in rules.values():
            specs[rule.policy_id].append(RuleSpec(rule.pk, rule.metric, rule.offset_minutes))
        contacts = {pk: [contact.pk for contact in rule.contacts.all()] for pk, rule in rules.items()}
        policies = SlaPolicy.objects.select_related("backup_team").in_bulk()
        return cls(specs=dict(specs), rules=rules, policies=policies, contacts=contacts)


# Kept per process and reloaded when the configuration stamp moves on (one query per batch instead
# of three): every change of policies and rules, their contacts included, replaces the stamp.
_RULES = StampedCache(_Rules.load)


@dataclass(frozen=True)
class _Wording:
    """The notification texts of one language, translated once per batch rather than per message."""

    headlines: dict[str, str]
    metrics: dict[str, str]
    priority: str
    weekdays: tuple[str, ...]

    @classmethod
    def load(cls, language: str) -> _Wording:
        with translation.override(language):
            return cls(
                headlines={
                    NotificationKind.SLA_WARNING: _("SLA warning: %(metric)s due %(when)s"),
                    NotificationKind.SLA_BREACH: _("SLA breached: %(metric)s was due %(when)s"),
                    NotificationKind.SLA_ESCALATION: _("Escalated: %(metric)s due %(when)s"),
                },
                metrics={metric.value: str(metric.label) for metric in Metric},
                priority=_("Priority: %(priority)s"),
                weekdays=_weekday_names(language),
            )


@dataclass
class _Batch:
    """What the evaluation of one batch shares: rules, calendars, team leads, recipients, wording."""

    now: datetime
    rules: _Rules
    calendars: dict[int, BusinessCalendar]
    leads: dict[int, list[int]]
    people: dict[int, _Person]
    zone: tzinfo  # the desk's time zone, in which notifications state due times
    wording: dict[str, _Wording] = field(default_factory=dict)
    # Due instants in the desk's zone (weekday, "YYYY-MM-DD HH:MM"): many occurrences share one.
    local_times: dict[datetime, tuple[int, str]] = field(default_factory=dict)

    def words(self, language: str) -> _Wording:
        found = self.wording.get(language)
        if found is None:
            found = self.wording[language] = _Wording.load(language)
        return found

    def local_time(self, at: datetime) -> tuple[int, str]:
        found = self.local_times.get(at)
        if found is None:
            local = at.astimezone(self.zone)
            found = self.local_times[at] = (local.weekday(), f"{local:%Y-%m-%d %H:%M}")
        return found


@dataclass(slots=True)
class _Outcome:
    """What happened to one ticket, written only if its compare-and-set wins."""

    events: list[EventRow] = field(default_factory=list)
    escalations: list[tuple[int, int, str, datetime, datetime]] = field(default_factory=list)
    notifications: list[NotificationRow] = field(default_factory=list)
    reassign_to: Team | None = None
    reassign_reason: str = ""
    raise_priority: bool = False

    @property
    def needs_follow_up(self) -> bool:
        return self.reassign_to is not None or self.raise_priority


# --- reading due rows ---------------------------------------------------------------------

_SLA_FIELDS = [
    column for column in (TicketSla._meta.get_field(name) for name in ClockRow.FIELDS) if isinstance(column, Field)
]
_TICKET_FIELDS = [
    column
    for column in (
        Ticket._meta.get_field(name) for name in ("number", "title", "status", "priority", "team", "assignee")
    )
    if isinstance(column, Field)
]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _is_utc_text(vendor: str) -> bool:
    # SQLite keeps naive text in the connection's time zone: UTC unless the database names another.
    return vendor != "postgresql" and connection.timezone is UTC


@functools.lru_cache(maxsize=4)
def _due_sql(vendor: str, utc_text: bool) -> str:
    quote = connection.ops.quote_name

    def read(table: str, column: Any) -> str:
        name = f"{table}.{quote(column.column)}"
        if column.get_internal_type() == "JSONField":
            return f"CAST({name} AS TEXT)"  # decoded below, the usual empty list without the JSON parser
        if column.get_internal_type() != "DateTimeField":
            return name
        # Decoded below rather than by the drivers' per-value Python hooks (about twenty a
        # row): PostgreSQL as microseconds since the epoch (integers load in C), SQLite as its
        # stored text (an expression has no declared type, so Django's regex converter stays out),
        # with the UTC offset appended when it is UTC, so that one C call makes it aware.
        if vendor == "postgresql":
            return f"(EXTRACT(EPOCH FROM {name}) * 1000000)::bigint"
        return f"({name} || '+00:00')" if utc_text else f"CAST({name} AS TEXT)"

    clocks_table, tickets_table = quote(TicketSla._meta.db_table), quote(Ticket._meta.db_table)
    columns = [read(clocks_table, column) for column in _SLA_FIELDS]
    columns += [read(tickets_table, column) for column in _TICKET_FIELDS]
    due = f"{clocks_table}.{quote('next_check_at')}"
    # Only our own quoted names go into the text; the instant and the limit are parameters.
    return (
        f"SELECT {', '.join(columns)} FROM {clocks_table}"  # noqa: S608
        f" INNER JOIN {tickets_table} ON {tickets_table}.{quote('id')} = {clocks_table}.{quote('ticket_id')}"
        f" WHERE {due} IS NOT NULL AND {due} <= %s"
        f" ORDER BY {due} ASC, {clocks_table}.{quote('ticket_id')} ASC LIMIT %s"
    )


def _datetime_reader(vendor: str, utc_text: bool) -> Callable[[Any], datetime]:
    if vendor == "postgresql":
        return lambda value: _EPOCH + timedelta(microseconds=value)
    if utc_text:
        return datetime.fromisoformat
    zone = connection.timezone
    return lambda value: datetime.fromisoformat(value).replace(tzinfo=zone)


_MOMENTS = tuple(index for index, column in enumerate(_SLA_FIELDS) if column.get_internal_type() == "DateTimeField")
_FIRED = ClockRow.FIELDS.index("escalations_fired")


def due_clocks(*, now: datetime, limit: int) -> list[DueClock]:
    """Return up to `limit` due clock rows with their tickets, earliest first (one indexed query)."""
    vendor = connection.vendor
    utc_text = _is_utc_text(vendor)
    with connection.cursor() as cursor:
        cursor.execute(_due_sql(vendor, utc_text), [connection.ops.adapt_datetimefield_value(now), limit])
        fetched = cursor.fetchall()
    to_datetime = _datetime_reader(vendor, utc_text)
    width = len(_SLA_FIELDS)
    found = []
    for values in fetched:
        clock = list(values[:width])
        for index in _MOMENTS:
            value = clock[index]
            if value is not None:
                clock[index] = to_datetime(value)
        fired = clock[_FIRED]
        clock[_FIRED] = [] if fired == "[]" else json.loads(fired)
        found.append(DueClock(ClockRow(clock), DueTicket(clock[0], *values[width:])))
    return found


def due_rows(*, now: datetime, limit: int) -> list[TicketSla]:
    """Return up to `limit` clock rows whose next check is due as model instances, earliest first."""
    due = TicketSla.objects.filter(next_check_at__isnull=False, next_check_at__lte=now)
    return list(due.order_by("next_check_at", "ticket_id")[:limit])


def has_due_rows(*, now: datetime) -> bool:
    """Return True when any clock row is due (the every-minute idle case is this one query)."""
    return TicketSla.objects.filter(next_check_at__isnull=False, next_check_at__lte=now).exists()


# --- sweeping -------------------------------------------------------------------------------


def sweep(*, now: datetime, batch_size: int = DEFAULT_BATCH_SIZE, max_batches: int | None = None) -> SweepReport:
    """Process every clock row due at `now`, batch by batch, each batch in its own transaction."""
    report = SweepReport()
    if not has_due_rows(now=now):
        return report
    while max_batches is None or report.batches < max_batches:
        done = sweep_batch(now=now, batch_size=batch_size, report=report)
        if done < batch_size:
            break
    return report


def sweep_batch(*, now: datetime, batch_size: int = DEFAULT_BATCH_SIZE, report: SweepReport | None = None) -> int:
    """Process one batch of due rows; return how many rows were examined."""
    report = report if report is not None else SweepReport()
    # Read and evaluate before the transaction: the compare-and-set makes that safe, and SQLite's
    # single write lock is then held only while this batch writes.
    due = due_clocks(now=now, limit=batch_size)
    if not due:
        return 0
    # Rules are read after the rows: a rule change re-arms its rows with a version bump, so a row read
    # before the change loses its compare-and-set and a row read after it is evaluated with the new rules.
    rules = _RULES.get()
    report.batches += 1
    report.examined += len(due)
    leads = _team_leads({clock.ticket.team_id for clock in due if clock.ticket.team_id is not None})
    wanted = {clock.ticket.assignee_id for clock in due if clock.ticket.assignee_id is not None}
    wanted.update(pk for ids in leads.values() for pk in ids)
    wanted.update(pk for ids in rules.contacts.values() for pk in ids)
    batch = _Batch(
        now=now,
        rules=rules,
        calendars=business_calendars({clock.sla.calendar_id for clock in due if clock.sla.calendar_id is not None}),
        leads=leads,
        people=_people_by_id(wanted),
        zone=timezone.get_current_timezone(),
    )
    evaluated = [(clock, _evaluate(clock, batch)) for clock in due]
    with transaction.atomic():
        # Ticket actions lock the ticket row before its clock row; a follow-up (reassign, raise
        # priority) must take the same order, so its tickets are locked before the claim.
        follow_ups = sorted(clock.sla.pk for clock, outcome in evaluated if outcome.needs_follow_up)
        if follow_ups:
            list(Ticket.objects.select_for_update().filter(pk__in=follow_ups).order_by("pk").values_list("pk"))
        claimed = _claim([clock.sla for clock, _outcome in evaluated])
        won = [(clock, outcome) for clock, outcome in evaluated if clock.sla.pk in claimed]
        written = [event for _clock, outcome in won for event in outcome.events]
        ticket_events.record_rows(written)
        listeners.announce(written, now=now)
        insert_rows(SlaEscalation, _ESCALATION_COLUMNS, [row for _clock, outcome in won for row in outcome.escalations])
        report.notifications += enqueue_rows([n for _clock, outcome in won for n in outcome.notifications], now=now)
        for clock, outcome in won:
            _follow_up(clock.ticket.pk, outcome, now=now)
    for _clock, outcome in won:
        _count(report, outcome)
    report.lost += len(due) - len(won)
    report.claimed += len(won)
    return len(due)


def _count(report: SweepReport, outcome: _Outcome) -> None:
    for event in outcome.events:
        if event.kind == SlaEventKind.SLA_WARNING:
            report.warnings += 1
        elif event.kind == SlaEventKind.SLA_BREACHED:
            report.breaches += 1
        elif event.kind == SlaEventKind.SLA_ESCALATED:
            report.escalations += 1


# --- claiming -------------------------------------------------------------------------------


def _claim(rows: Sequence[ClockRow]) -> set[int]:
    """Compare-and-set every evaluated row of a batch; return the ids of the rows this sweep won.

    A row is written (CLAIMED_FIELDS and version + 1) only where its version is still the one read.
    """
    if not rows:
        return set()
    columns = ["ticket", "version", *CLAIMED_FIELDS]
    values = [(row.pk, row.version, *(getattr(row, name) for name in CLAIMED_FIELDS)) for row in rows]
    if connection.vendor == "postgresql":
        # One statement of constant text (psycopg keeps its parse), one array per column, bound on the server.
        with bulk_cursor() as cursor:
            cursor.execute(_claim_sql_postgresql(), db_columns(TicketSla, columns, values))
            return {ticket_id for (ticket_id,) in cursor.fetchall()}
    return _claim_sqlite(rows, values, columns)


@functools.lru_cache(maxsize=1)
def _claim_sql_postgresql() -> str:
    quote = connection.ops.quote_name
    table = quote(TicketSla._meta.db_table)
    names = [quote(_column(name)) for name in CLAIMED_FIELDS]
    assignments = ", ".join(f"{name} = v.{name}" for name in names)
    return (
        f"UPDATE {table} AS s SET {assignments}, {quote('version')} = s.{quote('version')} + 1"  # noqa: S608
        f" FROM {unnest_sql(TicketSla, ['ticket', 'version', *CLAIMED_FIELDS])}"
        f" AS v({quote('id')}, {quote('old_version')}, {', '.join(names)})"
        f" WHERE s.{quote('ticket_id')} = v.{quote('id')} AND s.{quote('version')} = v.{quote('old_version')}"
        f" RETURNING s.{quote('ticket_id')}"
    )


def _column(name: str) -> str:
    column = TicketSla._meta.get_field(name)
    if not isinstance(column, Field):
        raise TypeError(f"TicketSla.{name} is not a column")
    return column.column


def _claim_sqlite(rows: Sequence[ClockRow], values: list[tuple[Any, ...]], columns: list[str]) -> set[int]:
    """SQLite: read the versions, then write the rows whose version is unchanged (executemany).

    The batch transaction began with BEGIN IMMEDIATE, so this connection holds the database's only
    write lock: no other writer can change a version between the read and the write. (In a deferred
    transaction SQLite would refuse the write of a stale snapshot instead of losing an update.)
    """
    quote = connection.ops.quote_name
    table = quote(TicketSla._meta.db_table)
    current: dict[int, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 900):  # below SQLite's oldest parameter limit
            chunk = [row.pk for row in rows[start : start + 900]]
            cursor.execute(
                f"SELECT {quote('ticket_id')}, {quote('version')} FROM {table}"  # noqa: S608
                f" WHERE {quote('ticket_id')} IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            current.update(cursor.fetchall())
        winners = [index for index, row in enumerate(rows) if current.get(row.pk) == row.version]
        if winners:
            prepared = list(zip(*db_columns(TicketSla, columns, [values[index] for index in winners]), strict=True))
            cursor.executemany(_claim_sql_sqlite(), [(*row[2:], row[1] + 1, row[0], row[1]) for row in prepared])
            if cursor.rowcount != len(winners):
                raise RuntimeError(f"the SLA claim wrote {cursor.rowcount} of {len(winners)} clock rows")
    return {rows[index].pk for index in winners}


@functools.lru_cache(maxsize=1)
def _claim_sql_sqlite() -> str:
    quote = connection.ops.quote_name
    assignments = "".join(f"{quote(_column(name))} = %s, " for name in CLAIMED_FIELDS)
    return (
        f"UPDATE {quote(TicketSla._meta.db_table)} SET {assignments}{quote('version')} = %s"  # noqa: S608
        f" WHERE {quote('ticket_id')} = %s AND {quote('version')} = %s"
    )


_CLOCK_COLUMNS: list[Field[Any, Any]] = [
    column for column in (TicketSla._meta.get_field(name) for name in clocks.CLOCK_FIELDS) if isinstance(column, Field)
]


def _clock_values(row: TicketSla) -> list[object]:
    return [getattr(row, field.attname) for field in _CLOCK_COLUMNS]


@functools.lru_cache(maxsize=256)
def _compare_and_set_sql(vendor: str, columns: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    assignments = "".join(f"{quote(column)} = %s, " for column in columns)
    # Only our own quoted column names go into the text; every value is a parameter.
    return (
        f"UPDATE {quote(TicketSla._meta.db_table)} SET {assignments}{quote('version')} = %s "  # noqa: S608
        f"WHERE {quote('ticket_id')} = %s AND {quote('version')} = %s"
    )


def _compare_and_set(row: TicketSla, *, before: list[object]) -> bool:
    """Write the clock columns of one row that changed since `before`, only if nobody changed the row meanwhile.

    Equivalent to `filter(pk=..., version=old).update(...) == 1`; a sweep claims whole batches (`_claim`).
    """
    changed = [field for field, old in zip(_CLOCK_COLUMNS, before, strict=True) if getattr(row, field.attname) != old]
    values = [field.get_db_prep_value(getattr(row, field.attname), connection) for field in changed]
    sql = _compare_and_set_sql(connection.vendor, tuple(field.column for field in changed))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, row.version + 1, row.pk, row.version])
        claimed: int = cursor.rowcount
    return claimed == 1


# --- evaluating -----------------------------------------------------------------------------


def _team_leads(team_ids: set[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = defaultdict(list)
    if team_ids:
        memberships = TeamMembership.objects.filter(team_id__in=team_ids, is_lead=True, user__is_active=True)
        for team_id, user_id in memberships.order_by("pk").values_list("team_id", "user_id"):
            result[team_id].append(user_id)
    return result


def _people_by_id(ids: set[int]) -> dict[int, _Person]:
    """Return the active users among `ids` (inactive ones get no notification)."""
    if not ids:
        return {}
    default = settings.LANGUAGE_CODE
    users = User.objects.filter(pk__in=ids, is_active=True).values_list("pk", "email", "language", "email_muted_kinds")
    return {pk: _Person(email or "", language or default, tuple(muted or ())) for pk, email, language, muted in users}


def _evaluate(clock: DueClock, batch: _Batch) -> _Outcome:
    """Apply everything that fell due by `batch.now` to the clock row in memory, in threshold order."""
    outcome = _Outcome()
    row, now = clock.sla, batch.now
    calendar = batch.calendars.get(row.calendar_id or 0)
    if calendar is None:
        row.next_check_at = None
        return outcome
    specs = batch.rules.specs.get(row.policy_id or 0, [])
    later: datetime | None = None
    moved_update = False
    for occurrence in clocks.pending_occurrences(row, status=clock.ticket.status, calendar=calendar, rules=specs):
        if occurrence.at > now:
            # Applying earlier occurrences only ever removes pending ones, so this is the next check
            # (unless the update interval moved on, below); no second pass over the arithmetic.
            later = occurrence.at
            break
        _apply(clock, occurrence, calendar=calendar, batch=batch, outcome=outcome)
        moved_update = moved_update or occurrence.kind == OccurrenceKind.UPDATE_MISSED
        if outcome.raise_priority:
            break
    if outcome.raise_priority:
        # The new priority brings new targets; re-targeting after the claim sets the real next check.
        row.next_check_at = now
    else:
        candidates = [at for at in (later, row.update_due_at if moved_update else None) if at is not None]
        row.next_check_at = min(candidates, default=None)
    return outcome


def _people(ticket: DueTicket, leads: dict[int, list[int]], *, assignee: bool, team_leads: bool) -> list[int]:
    ids: list[int] = []
    if assignee and ticket.assignee_id is not None:
        ids.append(ticket.assignee_id)
    if team_leads and ticket.team_id is not None:
        ids += leads.get(ticket.team_id, [])
    return list(dict.fromkeys(ids))


_WARNED = {metric.value: f"{metric.value}_warned_at" for metric in clocks.CLOCK_METRICS}
_BREACHED = {metric.value: f"{metric.value}_breached_at" for metric in clocks.CLOCK_METRICS}


def _apply(
    clock: DueClock, occurrence: Occurrence, *, calendar: BusinessCalendar, batch: _Batch, outcome: _Outcome
) -> None:
    row, ticket, now, leads = clock.sla, clock.ticket, batch.now, batch.leads
    metric = occurrence.metric
    if occurrence.kind == OccurrenceKind.WARNING:
        setattr(row, _WARNED[metric], occurrence.at)
        due = row.due_at(metric)
        outcome.events.append(events.warning(ticket.pk, now=now, metric=metric, at=occurrence.at, due_at=due))
        recipients = _people(ticket, leads, assignee=True, team_leads=ticket.assignee_id is None)
        _notify(batch, outcome, ticket, recipients, occurrence, kind=NotificationKind.SLA_WARNING, due=due)
    elif occurrence.kind == OccurrenceKind.BREACH:
        setattr(row, _BREACHED[metric], occurrence.at)
        outcome.events.append(events.breached(ticket.pk, now=now, metric=metric, due_at=occurrence.at))
        recipients = _people(ticket, leads, assignee=True, team_leads=True)
        _notify(batch, outcome, ticket, recipients, occurrence, kind=NotificationKind.SLA_BREACH, due=occurrence.at)
        policy = batch.rules.policies.get(row.policy_id or 0)
        backup = policy.backup_team if policy is not None else None
        if (
            metric == Metric.ASSIGNMENT
            and ticket.assignee_id is None
            and backup is not None
            and ticket.team_id != backup.pk
        ):
            outcome.reassign_to = backup
            outcome.reassign_reason = _("Not assigned within the SLA target: moved to the backup group.")
    elif occurrence.kind == OccurrenceKind.ESCALATION:
        rule = batch.rules.rules[occurrence.rule_id or 0]
        row.escalations_fired = [*row.escalations_fired, rule.pk]
        recipients = _people(ticket, leads, assignee=False, team_leads=rule.notify_team_lead)
        contacts = [pk for pk in batch.rules.contacts.get(rule.pk, []) if pk in batch.people]
        recipients = list(dict.fromkeys([*recipients, *contacts]))
        taken: list[str] = []
        if rule.reassign_to_team_id is not None and rule.reassign_to_team_id != ticket.team_id:
            outcome.reassign_to = rule.reassign_to_team
            outcome.reassign_reason = _("Escalated by the SLA: %(metric)s.") % {"metric": Metric(metric).label}
            taken.append("reassign")
        if rule.raise_priority and ticket.priority != Priority.P1:
            outcome.raise_priority = True
            taken.append("raise_priority")
        outcome.escalations.append((ticket.pk, rule.pk, metric, occurrence.at, now))
        outcome.events.append(
            events.escalated(
                ticket.pk,
                now=now,
                metric=metric,
                rule_id=rule.pk,
                threshold_at=occurrence.at,
                notified=recipients,
                actions=taken,
            )
        )
        kind = NotificationKind.SLA_ESCALATION
        _notify(batch, outcome, ticket, recipients, occurrence, kind=kind, due=row.due_at(metric))
    else:
        due_update = row.update_due_at or occurrence.at
        missed = clocks.skip_missed_updates(row, calendar=calendar, now=now)
        outcome.events.append(
            events.breached(ticket.pk, now=now, metric=Metric.UPDATE, due_at=due_update, missed=missed)
        )
        recipients = _people(ticket, leads, assignee=True, team_leads=True)
        _notify(batch, outcome, ticket, recipients, occurrence, kind=NotificationKind.SLA_BREACH, due=due_update)


def _notify(
    batch: _Batch,
    outcome: _Outcome,
    ticket: DueTicket,
    recipient_ids: Sequence[int],
    occurrence: Occurrence,
    *,
    kind: NotificationKind,
    due: datetime | None,
) -> None:
    """Queue one notification per active recipient; the key makes a re-run of the same occurrence a no-op."""
    texts: dict[str, tuple[str, str]] = {}
    prefix = f"sla:{ticket.pk}:{kind.value}:{occurrence.metric}:{occurrence.rule_id or 0}:{occurrence.at.isoformat()}"
    for user_id in recipient_ids:
        person = batch.people.get(user_id)
        if person is None:
            continue
        text = texts.get(person.language)
        if text is None:
            words = batch.words(person.language)
            when = batch.local_time(due) if due is not None else None
            text = texts[person.language] = _message(words, ticket, occurrence, kind, when)
        outcome.notifications.append(
            NotificationRow(
                recipient_id=user_id,
                email=person.email,
                ticket_id=ticket.pk,
                kind=kind.value,
                subject=text[0],
                body=text[1],
                dedupe_key=f"{prefix}:user:{user_id}",
                muted_kinds=person.muted_kinds,
            )
        )


@functools.lru_cache(maxsize=16)
def _weekday_names(language: str) -> tuple[str, ...]:
    """Return the short weekday names, Monday first, in `language` (Django's date format is slow per call)."""
    with translation.override(language or None):
        monday = date(2024, 1, 1)
        return tuple(formats.date_format(monday + timedelta(days=offset), "D") for offset in range(7))


def _message(
    words: _Wording,
    ticket: DueTicket,
    occurrence: Occurrence,
    kind: NotificationKind,
    due: tuple[int, str] | None,
) -> tuple[str, str]:
    """Return the subject and body; `due` is the due instant in the desk's zone (weekday, date and time)."""
    when = "—" if due is None else f"{words.weekdays[due[0]]} {due[1]}"
    headline = words.headlines[kind] % {"metric": words.metrics[occurrence.metric], "when": when}
    subject = f"[{ticket.number}] {headline}"
    body = "\n".join(
        [
            headline,
            f"{ticket.number} {' '.join(ticket.title.split())}",
            words.priority % {"priority": ticket.priority},
        ]
    )
    return subject, body


def _follow_up(ticket_id: int, outcome: _Outcome, *, now: datetime) -> None:
    """Run the ticket actions an escalation asked for (rare; one ticket at a time)."""
    if not outcome.needs_follow_up:
        return
    fresh = Ticket.objects.select_related("organization").get(pk=ticket_id)
    if outcome.reassign_to is not None:
        ticket_actions.move_to_team(fresh, team=outcome.reassign_to, now=now, reason=outcome.reassign_reason)
    if outcome.raise_priority:
        ticket_actions.raise_priority(fresh, now=now, reason=_("Raised by an SLA escalation rule."))
