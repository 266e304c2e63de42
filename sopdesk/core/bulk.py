"""Set-based writes: many rows of one table in one statement, from tuples rather than model instances.

The SLA sweep writes thousands of timeline events, notifications and outbox e-mails at once;
building a model instance per row and letting `bulk_create` compile every value field by field
costs more than the database does. Here the rows are plain tuples in the order of the columns named:
SQLite inserts them with `executemany` (one prepared statement), PostgreSQL with one `INSERT …
SELECT FROM UNNEST(array per column)`, whose text stays the same whatever the number of rows.

On PostgreSQL these statements go through a cursor that binds parameters on the server
(`bulk_cursor`): Django's default cursor quotes every value into the statement text, which for an
array of thousands of strings costs more in Python than the database spends on the insert.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models
from django.db.backends.utils import CursorWrapper

_Convert = Callable[[Any], Any]


def _converter(field: models.Field[Any, Any]) -> _Convert | None:
    """Return how a Python value of `field` becomes a parameter (None: as it is)."""
    internal = field.get_internal_type()
    if internal == "JSONField":
        return json.dumps
    if internal == "DateTimeField" and connection.vendor != "postgresql":
        return sqlite_datetime_converter()
    return None


def sqlite_datetime_converter() -> _Convert:
    """Return how an aware datetime becomes SQLite's stored text, as Django's adapter does but faster.

    SQLite keeps naive text in the connection's time zone. For a value in UTC and a UTC connection
    that is `str(value)` without its "+00:00"; anything else goes through Django's adapter, once
    per value (the same instant, a sweep's `now`, recurs in every row).
    """
    adapt = connection.ops.adapt_datetimefield_value
    is_utc = connection.timezone is UTC
    adapted: dict[datetime, Any] = {}

    def convert(value: datetime) -> Any:
        if is_utc and value.tzinfo is UTC:
            return str(value)[:-6]
        found = adapted.get(value)
        if found is None:
            found = adapted[value] = adapt(value)
        return found

    return convert


def _array_type(field: models.Field[Any, Any]) -> str:
    db_type = field.db_type(connection)
    if not db_type:
        raise ValueError(f"{field} has no column type")
    return f"{db_type}[]"


def _fields(model: type[models.Model], columns: Sequence[str]) -> list[models.Field[Any, Any]]:
    found = []
    for name in columns:
        field = model._meta.get_field(name)
        if not isinstance(field, models.Field) or not field.concrete:
            raise ValueError(f"{model.__name__}.{name} is not a column")
        found.append(field)
    return found


def db_columns(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Return the values of `rows` column by column, each as the database parameter for its field."""
    transposed = [list(values) for values in zip(*rows, strict=True)] if rows else [[] for _ in columns]
    for index, field in enumerate(_fields(model, columns)):
        convert = _converter(field)
        if convert is not None:
            transposed[index] = [None if value is None else convert(value) for value in transposed[index]]
    return transposed


def array_parameters(model: type[models.Model], columns: Sequence[str]) -> list[str]:
    """Return `%b::type[]` for each of `columns` of `model` (PostgreSQL: one array parameter per column).

    `%b` sends the array in binary, which psycopg builds without escaping each element: about
    fifteen times faster for text. Execute such statements with `bulk_cursor()`.
    """
    return [f"%b::{_array_type(field)}" for field in _fields(model, columns)]


def unnest_sql(model: type[models.Model], columns: Sequence[str]) -> str:
    """Return `UNNEST(%b::type[], …)` for `columns` of `model` (PostgreSQL: one array parameter per column)."""
    return "UNNEST(" + ", ".join(array_parameters(model, columns)) + ")"


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """Insert `rows` (tuples of Python values in the order of `columns`, attribute names) into `model`'s table.

    With `ignore_conflicts`, a row that would break a unique constraint is skipped (as bulk_create's
    flag). Defaults are not applied: name every column the rows must set.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    fields = _fields(model, columns)
    table = quote(model._meta.db_table)
    names = ", ".join(quote(field.column) for field in fields)
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    values = db_columns(model, columns, rows)
    with bulk_cursor() as cursor:
        # Identifiers are the model's own, quoted; every value is a parameter.
        if connection.vendor == "postgresql":
            sql = f"INSERT INTO {table} ({names}) SELECT * FROM {unnest_sql(model, columns)}{conflict}"  # noqa: S608
            cursor.execute(sql, values)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders}){conflict}"  # noqa: S608
            cursor.executemany(sql, list(zip(*values, strict=True)))


@contextmanager
def bulk_cursor() -> Iterator[CursorWrapper]:
    """Yield a cursor for statements with large parameters: on PostgreSQL one that binds them on the server.

    The cursor is wrapped as Django wraps its own, so execute wrappers and query logging see its
    statements. Elsewhere it is the connection's ordinary cursor.
    """
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg  # only installed where PostgreSQL is used

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)  # server-side binding, unlike Django's default ClientCursor
    # The stubs name Django's wrapper as the argument; the methods wrap a driver cursor.
    make = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    wrapped = make(raw)  # type: ignore[arg-type]
    with wrapped as cursor:
        yield cursor
