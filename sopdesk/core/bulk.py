"""Set-based writes: many rows of one table in one statement, from tuples rather than model instances.

The SLA sweep writes thousands of timeline events, notifications and outbox e-mails at once;
building a model instance per row and letting `bulk_create` compile every value field by field
costs more than the database does. Here the rows are plain tuples in the order of the columns named:
SQLite inserts them with `executemany` (one prepared statement), PostgreSQL with one `INSERT …
SELECT FROM UNNEST(array per column)`, whose text stays the same whatever the number of rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models

_Convert = Callable[[Any], Any]


def _converter(field: models.Field[Any, Any]) -> _Convert | None:
    """Return how a Python value of `field` becomes a parameter (None: as it is)."""
    internal = field.get_internal_type()
    if internal == "JSONField":
        return json.dumps
    if internal == "DateTimeField" and connection.vendor != "postgresql":
        # SQLite stores naive UTC text; the same instant (a sweep's `now`) recurs in every row.
        cache: dict[datetime, Any] = {}
        adapt = connection.ops.adapt_datetimefield_value

        def convert(value: datetime) -> Any:
            if value not in cache:
                cache[value] = adapt(value)
            return cache[value]

        return convert
    return None


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


def unnest_sql(model: type[models.Model], columns: Sequence[str]) -> str:
    """Return `UNNEST(%s::type[], …)` for `columns` of `model` (PostgreSQL: one array parameter per column)."""
    return "UNNEST(" + ", ".join(f"%s::{_array_type(field)}" for field in _fields(model, columns)) + ")"


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
    with connection.cursor() as cursor:
        # Identifiers are the model's own, quoted; every value is a parameter.
        if connection.vendor == "postgresql":
            sql = f"INSERT INTO {table} ({names}) SELECT * FROM {unnest_sql(model, columns)}{conflict}"  # noqa: S608
            cursor.execute(sql, values)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders}){conflict}"  # noqa: S608
            cursor.executemany(sql, list(zip(*values, strict=True)))
