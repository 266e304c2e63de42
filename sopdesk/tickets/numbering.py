"""Human-readable, unique ticket numbers such as TS-2026-000123."""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction

from sopdesk.tickets.models import TicketNumberSequence

_TABLE = TicketNumberSequence._meta.db_table
# One statement increments and reads the counter (SQLite ≥ 3.35 and PostgreSQL both have RETURNING).
_INCREMENT_SQL = (
    f'UPDATE "{_TABLE}" SET "last_value" = "last_value" + 1 '  # noqa: S608 (table name from the model)
    'WHERE "prefix" = %s AND "year" = %s RETURNING "last_value"'
)


def format_ticket_number(prefix: str, year: int, value: int) -> str:
    return f"{prefix}-{year}-{value:06d}"


def _increment(prefix: str, year: int) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(_INCREMENT_SQL, [prefix, year])
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def next_ticket_number(*, prefix: str, year: int) -> str:
    """Take the next number for `prefix` and `year` inside the caller's transaction.

    The UPDATE takes a row lock (PostgreSQL) or the write lock (SQLite) until the caller
    commits, so concurrent creators get distinct numbers; a rolled-back creation releases its
    number, and gaps are tolerated either way. The year's first number costs a savepoint more.
    """
    # No savepoint of its own: a failure here fails the caller's transaction anyway.
    with transaction.atomic(savepoint=False):
        value = _increment(prefix, year)
        if value is None:
            try:
                with transaction.atomic():
                    TicketNumberSequence.objects.create(prefix=prefix, year=year, last_value=1)
                value = 1
            except IntegrityError:
                # Another transaction created this year's row first: increment theirs.
                value = _increment(prefix, year)
    if value is None:  # pragma: no cover - the row exists after an IntegrityError on its key
        raise RuntimeError(f"no ticket number sequence for {prefix}-{year}")
    return format_ticket_number(prefix, year, value)
