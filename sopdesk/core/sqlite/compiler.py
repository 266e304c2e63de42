"""Django's SQL compilers, with the text of single-row inserts built once per shape.

A ticket creation inserts six rows (ticket, timeline entry, SLA clocks, search note, notification,
outbox message). For each, Django quotes every column name and assembles the statement again,
though only the values change: a tenth of a creation's CPU (bench/README.md). Here the values
are still prepared by Django for every row (`pre_save`, `get_db_prep_save`), and the statement's
text is kept per shape (table, columns, conflict handling, returned columns). Rows whose values
are expressions, and fields with a placeholder of their own, take Django's path unchanged.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db.models.sql.compiler import (  # noqa: F401  (the backend looks every compiler up here)
    SQLAggregateCompiler,
    SQLCompiler,
    SQLDeleteCompiler,
    SQLUpdateCompiler,
)
from django.db.models.sql.compiler import SQLInsertCompiler as DjangoInsertCompiler

_statements: dict[tuple[Any, ...], tuple[str, tuple[Any, ...]]] = {}
_statements_lock = threading.Lock()


class SQLInsertCompiler(DjangoInsertCompiler):
    def _shape(self) -> tuple[Any, ...] | None:
        query: Any = self.query  # an InsertQuery (the stubs know its base class only)
        if len(query.objs) != 1 or not query.fields or query.raw:
            return None
        if any(getattr(field, "get_placeholder", None) is not None for field in query.fields):
            return None
        return (
            self.connection.alias,
            query.model._meta.label,
            tuple(field.column for field in query.fields),
            query.on_conflict,
            tuple(field.column for field in query.update_fields or ()),
            tuple(field.column for field in query.unique_fields or ()),
            tuple(field.column for field in self.returning_fields or ()),
        )

    def as_sql(self) -> Any:  # type: ignore[override]  # an insert's: a list of statements
        shape = self._shape()
        if shape is None:
            return super().as_sql()
        known = _statements.get(shape)
        if known is None:
            statements = super().as_sql()
            returning_params = tuple(self.returning_params or ())
            query: Any = self.query
            placeholders = "VALUES (" + ", ".join(["%s"] * len(query.fields)) + ")"
            if len(statements) == 1 and placeholders in statements[0][0]:
                # Every value was a plain parameter: the text holds for every row of this shape.
                with _statements_lock:
                    _statements[shape] = (statements[0][0], returning_params)
            return statements
        query = self.query
        values = [self.prepare_value(field, self.pre_save_val(field, query.objs[0])) for field in query.fields]
        if any(hasattr(value, "as_sql") for value in values):
            return super().as_sql()  # an expression: Django's path
        sql, returning_params = known
        self.returning_params = returning_params
        return [(sql, (*values, *returning_params))]
