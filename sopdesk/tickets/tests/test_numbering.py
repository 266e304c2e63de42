"""Ticket numbers: readable, unique under concurrency, restarting every year."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection
from pytest_django import Settings

from sopdesk.accounts.models import User
from sopdesk.testing import factories
from sopdesk.tickets.models import Ticket, TicketNumberSequence
from sopdesk.tickets.numbering import format_ticket_number, next_ticket_number

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("prefix", "year", "value", "number"),
    [
        ("TS", 2026, 1, "TS-2026-000001"),
        ("TS", 2026, 123, "TS-2026-000123"),
        ("HD", 2030, 999_999, "HD-2030-999999"),
        ("TS", 2026, 1_000_000, "TS-2026-1000000"),  # grows rather than wrapping
    ],
)
def test_numbers_are_prefix_year_and_a_zero_padded_sequence(prefix: str, year: int, value: int, number: str) -> None:
    assert format_ticket_number(prefix, year, value) == number


@pytest.mark.django_db
def test_numbers_count_up_from_one() -> None:
    numbers = [next_ticket_number(prefix="TS", year=2026) for _ in range(3)]
    assert numbers == ["TS-2026-000001", "TS-2026-000002", "TS-2026-000003"]


@pytest.mark.django_db
def test_numbers_restart_every_year_and_each_year_keeps_its_own_count() -> None:
    assert next_ticket_number(prefix="TS", year=2026) == "TS-2026-000001"
    assert next_ticket_number(prefix="TS", year=2026) == "TS-2026-000002"
    assert next_ticket_number(prefix="TS", year=2027) == "TS-2027-000001"
    assert next_ticket_number(prefix="TS", year=2026) == "TS-2026-000003"
    assert dict(TicketNumberSequence.objects.values_list("year", "last_value")) == {2026: 3, 2027: 1}


@pytest.mark.django_db
def test_each_prefix_has_its_own_sequence() -> None:
    assert next_ticket_number(prefix="TS", year=2026) == "TS-2026-000001"
    assert next_ticket_number(prefix="HD", year=2026) == "HD-2026-000001"


@pytest.mark.django_db
def test_tickets_created_across_new_year_restart_the_sequence(requester: User) -> None:
    # The year is the service's local one (Asia/Shanghai, UTC+8).
    late_2026 = factories.make_ticket(requester, now=datetime(2026, 12, 31, 15, 59, tzinfo=UTC))
    early_2027 = factories.make_ticket(requester, now=datetime(2026, 12, 31, 16, 0, tzinfo=UTC))
    next_2027 = factories.make_ticket(requester, now=datetime(2027, 1, 2, 8, 0, tzinfo=UTC))
    assert [late_2026.number, early_2027.number, next_2027.number] == [
        "TS-2026-000001",
        "TS-2027-000001",
        "TS-2027-000002",
    ]


@pytest.mark.django_db
def test_the_prefix_is_configurable(requester: User, settings: Settings) -> None:
    settings.SOPDESK_TICKET_PREFIX = "HD"
    assert factories.make_ticket(requester, now=NOW).number == "HD-2026-000001"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tickets_created_from_eight_threads_at_once_get_unique_numbers(requester: User) -> None:
    threads_count, per_thread = 8, 5
    start = threading.Barrier(threads_count)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def create_some(index: int) -> None:
        try:
            start.wait(timeout=30)
            for n in range(per_thread):
                ticket = factories.make_ticket(requester, title=f"Thread {index} ticket {n}", now=NOW)
                with lock:
                    numbers.append(ticket.number)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create_some, args=(index,)) for index in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(numbers) == threads_count * per_thread
    assert len(set(numbers)) == len(numbers)
    assert sorted(numbers) == [f"TS-2026-{value:06d}" for value in range(1, threads_count * per_thread + 1)]
    assert Ticket.objects.count() == len(numbers)
