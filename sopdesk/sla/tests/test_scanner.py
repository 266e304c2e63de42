"""The scanner itself: batches, query counts, compare-and-set, real concurrent sweeps."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sopdesk.accounts.models import User
from sopdesk.sla.choices import SlaEventKind
from sopdesk.sla.models import SlaEscalation, TicketSla
from sopdesk.sla.scanner import SweepReport, due_rows, sweep
from sopdesk.testing.factories import make_ticket
from sopdesk.tickets.models import TicketEvent

P1 = {"impact": "multiple_users", "urgency": "critical"}
OPENED = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)  # Monday 10:00 in Beijing
LATER = OPENED + timedelta(hours=6)


def open_p1_tickets(requester: User, count: int) -> None:
    for index in range(count):
        make_ticket(requester, title=f"Outage {index}", now=OPENED + timedelta(seconds=index), **P1)


@pytest.mark.django_db
def test_due_rows_come_earliest_first_and_only_when_due(requester: User) -> None:
    open_p1_tickets(requester, 3)
    rows = due_rows(now=OPENED + timedelta(minutes=4), limit=10)
    # Only the assignment warnings (at 3 min 45 s) are due; the tickets were opened a second apart.
    assert [row.ticket.title for row in rows] == ["Outage 0", "Outage 1", "Outage 2"]
    assert due_rows(now=OPENED + timedelta(minutes=3), limit=10) == []


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
