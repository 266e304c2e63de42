"""Hot reads whose SQL the ORM builds once per process, then only binds new values.

Building the SQL of a query is most of what a small read costs in Django: looking up an API token
with its user cost about 490 µs and a requester with their organisation and department 650 µs, of
which executing the statement and building the instances is a small part (bench/README.md). A
ticket creation ran four such reads. `PreparedRead` builds the queryset once per database with
placeholder values, keeps the SQL and the positions of those values among its parameters, and from
then on runs the same SQL with the new values; the instances (their `select_related` rows too) and
the values are made by Django's own converters and populators.

Only plain equality filters on the placeholders are supported: a placeholder the ORM transforms
(`icontains`, a date truncation) is not found among the parameters, and preparing fails loudly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, models, router
from django.db.models.query import ModelIterable, get_related_populators  # type: ignore[attr-defined]

M = TypeVar("M", bound=models.Model)

# Placeholder values no real lookup uses: one per position, by the type the filter expects.
_TEXT_PLACEHOLDER = "\x00sopdesk-placeholder-{}\x00"
_INT_PLACEHOLDER = -7_301_000_000_000


@dataclass(frozen=True)
class _Prepared:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (position among the parameters, index of the value)
    model_slice: slice
    init_list: list[str]
    populators: list[Any]
    converters: tuple[tuple[int, tuple[list[Any], Any]], ...]  # column -> (converters, expression)

    @property
    def model_rows(self) -> bool:
        return bool(self.init_list)  # the attribute names of a model's columns; none for value rows


class PreparedRead(Generic[M]):
    """A read of `model` built by `build(*values)`; `kinds` says if each value is text ("str") or a number ("int")."""

    def __init__(self, model: type[M], build: Callable[..., models.QuerySet[M, Any]], *kinds: str) -> None:
        if any(kind not in {"str", "int"} for kind in kinds):
            raise ValueError("a prepared read's values are 'str' or 'int'")
        self.model = model
        self._build = build
        self._kinds = kinds
        self._by_alias: dict[str, _Prepared] = {}
        self._lock = threading.Lock()
        self.preparations = 0  # how often the SQL was built (once per database alias)

    def _placeholders(self) -> list[Any]:
        return [
            _TEXT_PLACEHOLDER.format(i) if kind == "str" else _INT_PLACEHOLDER - i for i, kind in enumerate(self._kinds)
        ]

    def _prepare(self, alias: str) -> _Prepared:
        placeholders = self._placeholders()
        queryset = self._build(*placeholders).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = []
        for index, placeholder in enumerate(placeholders):
            positions = [
                i for i, param in enumerate(params) if type(param) is type(placeholder) and param == placeholder
            ]
            if len(positions) != 1:
                raise ValueError(f"value {index} of a prepared read is not a plain parameter of its SQL")
            slots.append((positions[0], index))
        model_slice, init_list, populators = slice(0), [], []
        if queryset._iterable_class is ModelIterable:
            select_fields = compiler.klass_info["select_fields"]
            model_slice = slice(select_fields[0], select_fields[-1] + 1)
            init_list = [column[0].target.attname for column in compiler.select[model_slice]]
            populators = get_related_populators(compiler.klass_info, compiler.select, alias)
        # Converters take the connection as an argument; what they read of their own (the time zone) is per database.
        columns = [column[0] for column in compiler.select[0 : compiler.col_count]]
        converters = tuple(compiler.get_converters(columns).items())
        self.preparations += 1
        return _Prepared(sql, tuple(params), tuple(slots), model_slice, init_list, populators, converters)

    def _run(self, values: Sequence[Any]) -> tuple[_Prepared, str, list[Any]]:
        if len(values) != len(self._kinds):
            raise TypeError(f"a prepared read takes {len(self._kinds)} value(s)")
        alias = router.db_for_read(self.model)
        prepared = self._by_alias.get(alias)
        if prepared is None:
            with self._lock:
                prepared = self._by_alias.get(alias)
                if prepared is None:
                    prepared = self._by_alias[alias] = self._prepare(alias)
        params = list(prepared.params)
        for position, index in prepared.slots:
            params[position] = values[index]
        connection = connections[alias]  # this thread's connection, not the one the SQL was built on
        with connection.cursor() as cursor:
            cursor.execute(prepared.sql, params)
            fetched = cursor.fetchall()
        return prepared, alias, fetched

    def _converted(self, prepared: _Prepared, alias: str, fetched: list[Any]) -> list[Any]:
        # The ORM's converters (time zones, JSON, booleans on SQLite), given this thread's connection.
        if not prepared.converters:
            return fetched
        connection = connections[alias]
        rows = []
        for fetched_row in fetched:
            row = list(fetched_row)
            for position, (converters, expression) in prepared.converters:
                value = row[position]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[position] = value
            rows.append(row)
        return rows

    def instances(self, *values: Any) -> list[M]:
        """The model instances the query returns for `values` (with their `select_related` objects)."""
        prepared, alias, fetched = self._run(values)
        if not prepared.model_rows:
            raise TypeError("this prepared read returns values, not instances: use rows()")
        found = []
        for row in self._converted(prepared, alias, fetched):
            instance = self.model.from_db(alias, prepared.init_list, row[prepared.model_slice])
            for populator in prepared.populators:
                populator.populate(row, instance)
            found.append(instance)
        return found

    def first(self, *values: Any) -> M | None:
        """The first instance for `values`, or None (the query orders or limits as it needs)."""
        found = self.instances(*values)
        return found[0] if found else None

    def rows(self, *values: Any) -> list[tuple[Any, ...]]:
        """The rows of a `values_list()` query for `values`, as tuples."""
        prepared, alias, fetched = self._run(values)
        if prepared.model_rows:
            raise TypeError("this prepared read returns instances: use instances()")
        return [tuple(row) for row in self._converted(prepared, alias, fetched)]
