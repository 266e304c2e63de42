"""Human-readable, unique ticket numbers such as TS-2026-000123."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from sopdesk.tickets.models import TicketNumberSequence


def format_ticket_number(prefix: str, year: int, value: int) -> str:
    return f"{prefix}-{year}-{value:06d}"


def next_ticket_number(*, prefix: str, year: int) -> str:
    """Take the next number for `prefix` and `year` inside the caller's transaction.

    The UPDATE takes a row lock (PostgreSQL) or the write lock (SQLite) until the caller
    commits, so concurrent creators get distinct numbers; a rolled-back creation releases its
    number, and gaps are tolerated either way.
    """
    with transaction.atomic():
        counter = TicketNumberSequence.objects.filter(prefix=prefix, year=year)
        if not counter.update(last_value=F("last_value") + 1):
            try:
                with transaction.atomic():
                    TicketNumberSequence.objects.create(prefix=prefix, year=year, last_value=1)
            except IntegrityError:
                # Another transaction created this year's row first: increment theirs.
                counter.update(last_value=F("last_value") + 1)
        value = counter.values_list("last_value", flat=True).get()
    return format_ticket_number(prefix, year, value)
