"""The SLA scanner: warnings, breaches and escalations for tickets whose next check is due.

Each ticket's next check instant is stored on its clock row behind a partial index. A sweep takes
due rows in that order in bounded batches, works out in memory what happened since the last
look (in threshold order, so a worker that was down for hours catches up exactly), and claims
each row by compare-and-set on its version before anything is written. A row another scanner
(or a concurrent ticket change) got first is left alone: every rule fires once.
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Field
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from sopdesk.accounts.models import Team, TeamMembership, User
from sopdesk.lib.businesstime import BusinessCalendar
from sopdesk.notifications.choices import NotificationKind
from sopdesk.notifications.outbox import OutgoingNotification, enqueue
from sopdesk.sla import clocks, events
from sopdesk.sla.calendars import business_calendars
from sopdesk.sla.choices import Metric, SlaEventKind
from sopdesk.sla.clocks import Occurrence, OccurrenceKind, RuleSpec
from sopdesk.sla.models import EscalationRule, SlaEscalation, SlaPolicy, TicketSla
from sopdesk.tickets import actions as ticket_actions
from sopdesk.tickets import events as ticket_events
from sopdesk.tickets.choices import Priority
from sopdesk.tickets.models import Ticket, TicketEvent

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500
_TICKET_COLUMNS = (
    "ticket__number",
    "ticket__title",
    "ticket__status",
    "ticket__priority",
    "ticket__team",
    "ticket__assignee",
    "ticket__requester",
)


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


@dataclass
class _Rules:
    """The escalation rules and policies a sweep needs, loaded once."""

    specs: dict[int, list[RuleSpec]]
    rules: dict[int, EscalationRule]
    policies: dict[int, SlaPolicy]
    users: dict[int, User] = field(default_factory=dict)

    def users_by_id(self, ids: Sequence[int]) -> list[User]:
        missing = [pk for pk in ids if pk not in self.users]
        if missing:
            self.users.update(User.objects.in_bulk(missing))
        return [self.users[pk] for pk in ids if pk in self.users]

    @classmethod
    def load(cls) -> _Rules:
        rules = {rule.pk: rule for rule in EscalationRule.objects.filter(is_active=True).prefetch_related("contacts")}
        specs: dict[int, list[RuleSpec]] = defaultdict(list)
        for rule in rules.values():
            specs[rule.policy_id].append(RuleSpec(rule.pk, rule.metric, rule.offset_minutes))
        policies = SlaPolicy.objects.select_related("backup_team").in_bulk()
        return cls(specs=dict(specs), rules=rules, policies=policies)


@dataclass
class _Outcome:
    """What happened to one ticket, written only if its compare-and-set wins."""

    events: list[TicketEvent] = field(default_factory=list)
    escalations: list[SlaEscalation] = field(default_factory=list)
    notifications: list[OutgoingNotification] = field(default_factory=list)
    reassign_to: Team | None = None
    reassign_reason: str = ""
    raise_priority: bool = False

    @property
    def needs_follow_up(self) -> bool:
        return self.reassign_to is not None or self.raise_priority


def due_rows(*, now: datetime, limit: int) -> list[TicketSla]:
    """Return up to `limit` clock rows whose next check is due, earliest first (one indexed query)."""
    queryset = (
        TicketSla.objects.filter(next_check_at__isnull=False, next_check_at__lte=now)
        .select_related("ticket")
        .only(*[f.name for f in TicketSla._meta.concrete_fields], *_TICKET_COLUMNS)
        .order_by("next_check_at", "pk")
    )
    return list(queryset[:limit])


def has_due_rows(*, now: datetime) -> bool:
    """Return True when any clock row is due (the every-minute idle case is this one query)."""
    return TicketSla.objects.filter(next_check_at__isnull=False, next_check_at__lte=now).exists()


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
    rows = due_rows(now=now, limit=batch_size)
    if not rows:
        return 0
    # Rules are read after the rows: a rule change re-arms its rows with a version bump, so a row read
    # before the change loses its compare-and-set and a row read after it is evaluated with the new rules.
    rules = _Rules.load()
    report.batches += 1
    report.examined += len(rows)
    calendars = business_calendars({row.calendar_id for row in rows if row.calendar_id is not None})
    leads = _team_leads({row.ticket.team_id for row in rows if row.ticket.team_id is not None})
    evaluated: list[tuple[TicketSla, list[object], _Outcome]] = []
    for row in rows:
        before = _clock_values(row)
        outcome = _evaluate(row, now=now, calendar=calendars.get(row.calendar_id or 0), rules=rules, leads=leads)
        evaluated.append((row, before, outcome))
    with transaction.atomic():
        # Ticket actions lock the ticket row before its clock row; a follow-up (reassign, raise
        # priority) must take the same order, so its tickets are locked before the claim.
        follow_ups = sorted(row.ticket_id for row, _before, outcome in evaluated if outcome.needs_follow_up)
        if follow_ups:
            list(Ticket.objects.select_for_update().filter(pk__in=follow_ups).order_by("pk").values_list("pk"))
        claimed = _claim(evaluated)
        won = [(row, outcome) for row, _before, outcome in evaluated if row.pk in claimed]
        outcomes = [outcome for _row, outcome in won]
        ticket_events.record_many([event for outcome in outcomes for event in outcome.events])
        SlaEscalation.objects.bulk_create([record for outcome in outcomes for record in outcome.escalations])
        report.notifications += enqueue([n for outcome in outcomes for n in outcome.notifications], now=now)
        for row, outcome in won:
            _follow_up(row.ticket, outcome, now=now)
    for _row, outcome in won:
        _count(report, outcome)
    report.lost += len(rows) - len(won)
    report.claimed += len(won)
    return len(rows)


def _count(report: SweepReport, outcome: _Outcome) -> None:
    for event in outcome.events:
        if event.kind == SlaEventKind.SLA_WARNING:
            report.warnings += 1
        elif event.kind == SlaEventKind.SLA_BREACHED:
            report.breaches += 1
        elif event.kind == SlaEventKind.SLA_ESCALATED:
            report.escalations += 1


_CLOCK_COLUMNS: list[Field[Any, Any]] = [
    column for column in (TicketSla._meta.get_field(name) for name in clocks.CLOCK_FIELDS) if isinstance(column, Field)
]


def _claim(evaluated: Sequence[tuple[TicketSla, list[object], _Outcome]]) -> set[int]:
    """Compare-and-set every evaluated row; return the ids of the rows this sweep won."""
    if connection.vendor == "postgresql":
        return _compare_and_set_many([row for row, _, _ in evaluated])
    # SQLite: one short statement per row costs ~40 µs in-process, and UPDATE … FROM … RETURNING
    # needs SQLite 3.35, newer than some supported systems ship.
    return {row.pk for row, before, _ in evaluated if _compare_and_set(row, before=before)}


def _compare_and_set_many(rows: Sequence[TicketSla]) -> set[int]:
    """PostgreSQL: the per-row compare-and-set of a whole batch as one statement (one round trip).

    Each row is written only where its version is still the one read; RETURNING names the winners.
    """
    quote = connection.ops.quote_name
    columns = [field.column for field in _CLOCK_COLUMNS]
    casts = [f"%s::{field.db_type(connection)}" for field in _CLOCK_COLUMNS]
    row_sql = "(" + ", ".join(["%s::bigint", "%s::bigint", *casts]) + ")"
    assignments = ", ".join(f"{quote(column)} = v.{quote(column)}" for column in columns)
    table = quote(TicketSla._meta.db_table)
    sql = (
        f"UPDATE {table} SET {assignments}, {quote('version')} = {table}.{quote('version')} + 1 "  # noqa: S608
        f"FROM (VALUES {', '.join([row_sql] * len(rows))}) "
        f"AS v(id, old_version, {', '.join(quote(column) for column in columns)}) "
        f"WHERE {table}.{quote('ticket_id')} = v.id AND {table}.{quote('version')} = v.old_version "
        f"RETURNING {table}.{quote('ticket_id')}"
    )
    params: list[Any] = []
    for row in rows:
        params += [row.pk, row.version]
        params += [field.get_db_prep_value(getattr(row, field.attname), connection) for field in _CLOCK_COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {ticket_id for (ticket_id,) in cursor.fetchall()}


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
    """Write the clock columns that changed since `before`, only if nobody changed the row meanwhile.

    Equivalent to `filter(pk=..., version=old).update(...) == 1`, as a statement built once per
    set of changed columns: the ORM would spend most of a sweep building the same UPDATE again.
    """
    changed = [field for field, old in zip(_CLOCK_COLUMNS, before, strict=True) if getattr(row, field.attname) != old]
    values = [field.get_db_prep_value(getattr(row, field.attname), connection) for field in changed]
    sql = _compare_and_set_sql(connection.vendor, tuple(field.column for field in changed))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, row.version + 1, row.pk, row.version])
        claimed: int = cursor.rowcount
    return claimed == 1


def _team_leads(team_ids: set[int]) -> dict[int, list[User]]:
    result: dict[int, list[User]] = defaultdict(list)
    if team_ids:
        memberships = TeamMembership.objects.filter(team_id__in=team_ids, is_lead=True, user__is_active=True)
        for membership in memberships.select_related("user"):
            result[membership.team_id].append(membership.user)
    return result


def _evaluate(
    row: TicketSla,
    *,
    now: datetime,
    calendar: BusinessCalendar | None,
    rules: _Rules,
    leads: dict[int, list[User]],
) -> _Outcome:
    """Apply everything that fell due by `now` to `row` in memory, in threshold order."""
    outcome = _Outcome()
    ticket = row.ticket
    specs = rules.specs.get(row.policy_id or 0, [])
    if calendar is None:
        row.next_check_at = None
        return outcome
    later: datetime | None = None
    moved_update = False
    for occurrence in clocks.pending_occurrences(row, status=ticket.status, calendar=calendar, rules=specs):
        if occurrence.at > now:
            # Applying earlier occurrences only ever removes pending ones, so this is the next check
            # (unless the update interval moved on, below); no second pass over the arithmetic.
            later = occurrence.at
            break
        _apply(row, occurrence, ticket=ticket, now=now, calendar=calendar, rules=rules, leads=leads, outcome=outcome)
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


def _people(ticket: Ticket, leads: dict[int, list[User]], *, assignee: bool, team_leads: bool) -> list[int]:
    ids: list[int] = []
    if assignee and ticket.assignee_id is not None:
        ids.append(ticket.assignee_id)
    if team_leads and ticket.team_id is not None:
        ids += [lead.pk for lead in leads.get(ticket.team_id, [])]
    return list(dict.fromkeys(ids))


def _apply(
    row: TicketSla,
    occurrence: Occurrence,
    *,
    ticket: Ticket,
    now: datetime,
    calendar: BusinessCalendar,
    rules: _Rules,
    leads: dict[int, list[User]],
    outcome: _Outcome,
) -> None:
    metric = occurrence.metric
    if occurrence.kind == OccurrenceKind.WARNING:
        setattr(row, f"{metric}_warned_at", occurrence.at)
        outcome.events.append(
            events.warning(ticket, now=now, metric=metric, at=occurrence.at, due_at=row.due_at(metric))
        )
        recipients = _people(ticket, leads, assignee=True, team_leads=ticket.assignee_id is None)
        _notify(
            rules, outcome, ticket, recipients, occurrence, kind=NotificationKind.SLA_WARNING, due=row.due_at(metric)
        )
    elif occurrence.kind == OccurrenceKind.BREACH:
        setattr(row, f"{metric}_breached_at", occurrence.at)
        outcome.events.append(events.breached(ticket, now=now, metric=metric, due_at=occurrence.at))
        _notify(
            rules,
            outcome,
            ticket,
            _people(ticket, leads, assignee=True, team_leads=True),
            occurrence,
            kind=NotificationKind.SLA_BREACH,
            due=occurrence.at,
        )
        policy = rules.policies.get(row.policy_id or 0)
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
        rule = rules.rules[occurrence.rule_id or 0]
        row.escalations_fired = [*row.escalations_fired, rule.pk]
        recipients = _people(ticket, leads, assignee=False, team_leads=rule.notify_team_lead)
        recipients = list(
            dict.fromkeys([*recipients, *(contact.pk for contact in rule.contacts.all() if contact.is_active)])
        )
        taken: list[str] = []
        if rule.reassign_to_team_id is not None and rule.reassign_to_team_id != ticket.team_id:
            outcome.reassign_to = rule.reassign_to_team
            outcome.reassign_reason = _("Escalated by the SLA: %(metric)s.") % {"metric": Metric(metric).label}
            taken.append("reassign")
        if rule.raise_priority and ticket.priority != Priority.P1:
            outcome.raise_priority = True
            taken.append("raise_priority")
        outcome.escalations.append(
            SlaEscalation(ticket=ticket, rule=rule, metric=metric, threshold_at=occurrence.at, fired_at=now)
        )
        outcome.events.append(
            events.escalated(
                ticket,
                now=now,
                metric=metric,
                rule_id=rule.pk,
                threshold_at=occurrence.at,
                notified=recipients,
                actions=taken,
            )
        )
        _notify(
            rules, outcome, ticket, recipients, occurrence, kind=NotificationKind.SLA_ESCALATION, due=row.due_at(metric)
        )
    else:
        due = row.update_due_at or occurrence.at
        missed = clocks.skip_missed_updates(row, calendar=calendar, now=now)
        outcome.events.append(events.breached(ticket, now=now, metric=Metric.UPDATE, due_at=due, missed=missed))
        _notify(
            rules,
            outcome,
            ticket,
            _people(ticket, leads, assignee=True, team_leads=True),
            occurrence,
            kind=NotificationKind.SLA_BREACH,
            due=due,
        )


def _notify(
    rules: _Rules,
    outcome: _Outcome,
    ticket: Ticket,
    recipient_ids: Sequence[int],
    occurrence: Occurrence,
    *,
    kind: NotificationKind,
    due: datetime | None,
) -> None:
    """Queue one notification per recipient; the key makes a re-run of the same occurrence a no-op."""
    if not recipient_ids:
        return
    users = rules.users_by_id(recipient_ids)
    messages: dict[str, tuple[str, str]] = {}
    for user in users:
        language = user.language or settings.LANGUAGE_CODE
        if language not in messages:
            with translation.override(language):
                messages[language] = _message(ticket, occurrence, kind=kind, due=due)
        subject, body = messages[language]
        occasion = f"{kind}:{occurrence.metric}:{occurrence.rule_id or 0}:{occurrence.at.isoformat()}"
        key = f"sla:{ticket.pk}:{occasion}:user:{user.pk}"
        outcome.notifications.append(
            OutgoingNotification(recipient=user, ticket=ticket, kind=kind, subject=subject, body=body, dedupe_key=key)
        )


@functools.lru_cache(maxsize=16)
def _weekday_names(language: str) -> tuple[str, ...]:
    """Return the short weekday names, Monday first, in `language` (Django's date format is slow per call)."""
    with translation.override(language or None):
        monday = date(2024, 1, 1)
        return tuple(formats.date_format(monday + timedelta(days=offset), "D") for offset in range(7))


def _message(
    ticket: Ticket, occurrence: Occurrence, *, kind: NotificationKind, due: datetime | None
) -> tuple[str, str]:
    metric = Metric(occurrence.metric).label
    when = "—"
    if due is not None:
        local = timezone.localtime(due)
        when = f"{_weekday_names(translation.get_language() or '')[local.weekday()]} {local:%Y-%m-%d %H:%M}"
    if kind == NotificationKind.SLA_WARNING:
        headline = _("SLA warning: %(metric)s due %(when)s") % {"metric": metric, "when": when}
    elif kind == NotificationKind.SLA_BREACH:
        headline = _("SLA breached: %(metric)s was due %(when)s") % {"metric": metric, "when": when}
    else:
        headline = _("Escalated: %(metric)s due %(when)s") % {"metric": metric, "when": when}
    subject = f"[{ticket.number}] {headline}"
    body = "\n".join(
        [
            headline,
            f"{ticket.number} {' '.join(ticket.title.split())}",
            _("Priority: %(priority)s") % {"priority": ticket.priority},
        ]
    )
    return subject, body


def _follow_up(ticket: Ticket, outcome: _Outcome, *, now: datetime) -> None:
    """Run the ticket actions an escalation asked for (rare; one ticket at a time)."""
    if not outcome.needs_follow_up:
        return
    fresh = Ticket.objects.select_related("organization").get(pk=ticket.pk)
    if outcome.reassign_to is not None:
        ticket_actions.move_to_team(fresh, team=outcome.reassign_to, now=now, reason=outcome.reassign_reason)
    if outcome.raise_priority:
        ticket_actions.raise_priority(fresh, now=now, reason=_("Raised by an SLA escalation rule."))
