"""The scanner itself: batches, query counts, compare-and-set, real concurrent sweeps."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from pytest_django import Settings

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.notifications.models import Notification, OutboxMessage
from sopdesk.sla.choices import SlaEventKind
from sopdesk.sla.clocks import ClockRow
from sopdesk.sla.models import SlaEscalation, TicketSla
from sopdesk.sla.scanner import SweepReport, _claim, due_clocks, sweep
from sopdesk.testing.factories import make_ticket, make_user
from sopdesk.tickets.models import Ticket, TicketEvent

P1 = {"impact": "multiple_users", "urgency": "critical"}
OPENED = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)  # Monday 10:00 in Beijing
LATER = OPENED + timedelta(hours=6)


def open_p1_tickets(requester: User, count: int) -> None:
    for index in range(count):
        make_ticket(requester, title=f"Outage {index}", now=OPENED + timedelta(seconds=index), **P1)


@pytest.mark.django_db
def test_due_rows_come_earliest_first_and_only_when_due(requester: User) -> None:
    open_p1_tickets(requester, 3)
    rows = due_clocks(now=OPENED + timedelta(minutes=4), limit=10)
    # Only the assignment warnings (at 3 min 45 s) are due; the tickets were opened a second apart.
    assert [row.ticket.title for row in rows] == ["Outage 0", "Outage 1", "Outage 2"]
    assert [row.sla.pk for row in rows] == [row.ticket.pk for row in rows]
    stored = TicketSla.objects.get(pk=rows[0].sla.pk)
    # Every column the sweep reads comes back exactly as the ORM reads it (timestamps decoded in bulk).
    assert {name: getattr(rows[0].sla, name) for name in ClockRow.FIELDS} == {
        name: getattr(stored, name) for name in ClockRow.FIELDS
    }
    assert rows[0].sla.assignment_due_at == OPENED + timedelta(minutes=5)
    assert due_clocks(now=OPENED + timedelta(minutes=3), limit=10) == []


@pytest.mark.django_db
def test_sweep_works_in_bounded_batches_and_finishes_the_backlog(requester: User) -> None:
    open_p1_tickets(requester, 7)
    report = sweep(now=LATER, batch_size=3)
    assert report.batches == 3
    assert report.claimed == 7
    assert not TicketSla.objects.filter(next_check_at__lte=LATER).exists()


@pytest.mark.django_db
def test_a_sweep_costs_a_constant_number_of_queries_per_batch(requester: User) -> None:
    def queries_for(count: int) -> tuple[int, SweepReport]:
        open_p1_tickets(requester, count)
        with CaptureQueriesContext(connection) as context:
            report = sweep(now=LATER + timedelta(days=count))
        return len(context.captured_queries), report

    few, few_report = queries_for(2)
    TicketSla.objects.update(next_check_at=None)
    many, many_report = queries_for(12)
    assert few_report.claimed == 2
    assert many_report.claimed == 12
    # The claim and every write take one statement per batch, however many rows it holds.
    assert many == few


@pytest.mark.django_db
def test_a_sweep_with_nothing_due_is_one_query(requester: User) -> None:
    open_p1_tickets(requester, 3)
    with CaptureQueriesContext(connection) as context:
        report = sweep(now=OPENED)
    assert report.examined == 0
    assert len(context.captured_queries) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_breach_is_recorded_once_when_two_scanners_race(requester: User) -> None:
    open_p1_tickets(requester, 20)
    start = threading.Barrier(2)
    reports: list[SweepReport] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def scan() -> None:
        try:
            start.wait(timeout=30)
            report = sweep(now=LATER, batch_size=5)
            with lock:
                reports.append(report)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sum(report.claimed for report in reports) == 20
    # Two P1 rules per ticket, each fired exactly once; one breach per clock per ticket.
    assert SlaEscalation.objects.count() == 40
    assert TicketEvent.objects.filter(kind=SlaEventKind.SLA_BREACHED).count() == 3 * 20
    assert sum(report.escalations for report in reports) == 40


@pytest.fixture
def compiled_catalogue(settings: Settings) -> None:
    """Compile the catalogues and make Django reload them (a cached catalogue may predate the .mo file)."""
    call_command("compiletranslations", verbosity=0)
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalogue")
def test_notifications_are_worded_in_each_recipients_language_and_inactive_users_get_none(
    requester: User, service_desk: Team
) -> None:
    make_user("lead_en", role=Role.TEAM_LEAD, lead_of=[service_desk])
    quiet = make_user("lead_quiet", role=Role.TEAM_LEAD, lead_of=[service_desk])
    User.objects.filter(pk=quiet.pk).update(email_muted_kinds=["sla_warning"])  # the inbox only
    chinese = make_user("lead_zh", role=Role.TEAM_LEAD, lead_of=[service_desk])
    User.objects.filter(pk=chinese.pk).update(language="zh-hans")
    retired = make_user("lead_gone", role=Role.TEAM_LEAD, lead_of=[service_desk])
    User.objects.filter(pk=retired.pk).update(is_active=False)
    open_p1_tickets(requester, 1)
    ticket = Ticket.objects.get()

    # Unassigned: the assignment warning (due at 10:05 Beijing time) goes to the team's active leads.
    report = sweep(now=OPENED + timedelta(minutes=4))

    assert (report.warnings, report.notifications) == (1, 3)
    sent = {n.recipient.username: n for n in Notification.objects.filter(ticket=ticket).exclude(recipient=requester)}
    assert set(sent) == {"lead_en", "lead_quiet", "lead_zh"}
    headline = "SLA warning: Assignment due Mon 2026-10-12 10:05"
    assert sent["lead_en"].subject == f"[{ticket.number}] {headline}"
    assert sent["lead_en"].body == f"{headline}\n{ticket.number} Outage 0\nPriority: P1"
    assert sent["lead_zh"].subject.startswith(f"[{ticket.number}] SLA 预警：分配将于 ")
    assert sent["lead_zh"].subject.endswith(" 2026-10-12 10:05 到期")
    assert sent["lead_zh"].body.endswith(f"\n{ticket.number} Outage 0\n优先级：P1")
    assert sent["lead_zh"].dedupe_key.endswith(f":user:{chinese.pk}")
    emails = {message.address: message.subject for message in OutboxMessage.objects.exclude(recipient=requester)}
    assert emails == {"lead_en@example.com": sent["lead_en"].subject, "lead_zh@example.com": sent["lead_zh"].subject}


@pytest.mark.django_db
def test_a_batch_claim_skips_only_the_rows_changed_since_they_were_read(requester: User) -> None:
    open_p1_tickets(requester, 3)
    due = due_clocks(now=LATER, limit=10)
    changed = due[1].sla.pk
    TicketSla.objects.filter(pk=changed).update(version=F("version") + 1)
    untouched = TicketSla.objects.get(pk=changed)
    for clock in due:
        clock.sla.next_check_at = None
        clock.sla.assignment_warned_at = OPENED

    with transaction.atomic():
        claimed = _claim([clock.sla for clock in due])

    assert claimed == {due[0].sla.pk, due[2].sla.pk}
    for clock in (due[0], due[2]):
        row = TicketSla.objects.get(pk=clock.sla.pk)
        assert (row.version, row.next_check_at, row.assignment_warned_at) == (clock.sla.version + 1, None, OPENED)
    row = TicketSla.objects.get(pk=changed)
    assert (row.version, row.next_check_at, row.assignment_warned_at) == (
        untouched.version,
        untouched.next_check_at,
        untouched.assignment_warned_at,
    )
