"""Keyset cursors and bounded counts (core.pagination), on real ticket rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sopdesk.accounts.models import User
from sopdesk.core.pagination import Keyset, bounded_count
from sopdesk.core.validation import ValidationFailed
from sopdesk.testing import factories
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_bounded_count_is_exact_up_to_the_bound_and_stops_there(requester: User) -> None:
    for _ in range(4):
        factories.make_ticket(requester)

    counts = [bounded_count(Ticket.objects.all(), limit=limit) for limit in (3, 4, 10)]

    assert [(c.value, c.exact) for c in counts] == [(3, False), (4, True), (4, True)]


def test_a_cursor_round_trips_microseconds_and_the_time_zone(requester: User) -> None:
    ticket = factories.make_ticket(requester, now=datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC))
    keyset = Keyset(Ticket, "-created_at", ("-created_at", "-id"))

    values = keyset.decode(keyset.encode(ticket))

    assert values == [ticket.created_at, ticket.pk]


def test_the_page_after_a_cursor_starts_at_the_next_row_and_says_when_it_is_the_last(requester: User) -> None:
    base = datetime(2026, 3, 1, tzinfo=UTC)
    made = [factories.make_ticket(requester, now=base + timedelta(minutes=i % 2)) for i in range(5)]
    keyset = Keyset(Ticket, "created_at", ("created_at", "id"))
    expected = sorted(made, key=lambda t: (t.created_at, t.pk))

    first = keyset.page(Ticket.objects.all(), cursor=None, limit=3)
    rest = keyset.page(Ticket.objects.all(), cursor=first.next_cursor, limit=3)

    assert first.items + rest.items == expected
    assert rest.next_cursor is None


def test_a_nullable_field_cannot_order_a_keyset() -> None:
    with pytest.raises(ValueError, match="nullable"):
        Keyset(Ticket, "assignee", ("assignee", "id"))


@pytest.mark.parametrize("cursor", ["", "====", "not base64 at all", "eyJhIjogMX0"])
def test_a_malformed_cursor_is_a_field_error(cursor: str) -> None:
    keyset = Keyset(Ticket, "number", ("number",))

    with pytest.raises(ValidationFailed) as refused:
        keyset.decode(cursor)

    assert list(refused.value.errors) == ["cursor"]
