"""Long lists without counting them: keyset cursors and bounded counts.

A list page must cost the same at a thousand rows and at a million. An offset walks every row
before the page and an exact `COUNT(*)` every matching row, so both grow with the table. A
cursor instead names the last row shown (its ordering values) and the next page starts right
after it in the index; the count stops at `COUNT_LIMIT` ("1,000+" is all a person reads).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from sopdesk.core.validation import ValidationFailed

# Counting stops here: exact below, "at least this many" above.
COUNT_LIMIT = 1_000
# Offsets walk every skipped row; deeper pages follow cursors.
MAX_OFFSET = 10_000

ModelT = TypeVar("ModelT", bound=models.Model)


@dataclass(frozen=True)
class BoundedCount:
    value: int
    exact: bool


def bounded_count(queryset: QuerySet[Any], limit: int | None = None) -> BoundedCount:
    """Count the rows of `queryset`, but read at most `limit` (default COUNT_LIMIT) + 1 of them."""
    if limit is None:
        limit = COUNT_LIMIT
    seen = queryset.order_by()[: limit + 1].count()
    return BoundedCount(value=min(seen, limit), exact=seen <= limit)


@dataclass(frozen=True)
class KeysetPage(Generic[ModelT]):
    items: list[ModelT]
    next_cursor: str | None


class Keyset:
    """One named ordering of a model, e.g. `("-created_at", "-id")`, that cursors can resume.

    The fields must be non-null and end with a unique one, so that every row has one place.
    """

    def __init__(self, model: type[models.Model], name: str, ordering: Sequence[str]) -> None:
        self.model = model
        self.name = name
        self.ordering = tuple(ordering)
        self._fields = [(term.lstrip("-"), term.startswith("-")) for term in self.ordering]
        for field_name, _descending in self._fields:
            if self._field(field_name).null:
                raise ValueError(f"{model.__name__}.{field_name} is nullable and cannot order a keyset")

    def page(
        self, queryset: QuerySet[ModelT], *, cursor: str | None, limit: int, offset: int = 0
    ) -> KeysetPage[ModelT]:
        """Return up to `limit` rows of `queryset` after `cursor` (from the start without one),
        skipping `offset` rows first (kept for short lists and old clients; bound it)."""
        items = list(self.resume(queryset, cursor)[offset : offset + limit + 1])
        more = len(items) > limit
        items = items[:limit]
        return KeysetPage(items=items, next_cursor=self.encode(items[-1]) if more and items else None)

    def resume(self, queryset: QuerySet[ModelT], cursor: str | None) -> QuerySet[ModelT]:
        """Return `queryset` in this ordering, starting after the row `cursor` names."""
        rows = queryset.order_by(*self.ordering)
        return rows.filter(self._after(self.decode(cursor))) if cursor else rows

    def encode(self, row: models.Model) -> str:
        values = [self._field(name).value_to_string(row) for name, _descending in self._fields]
        raw = json.dumps([self.name, values], ensure_ascii=False, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str) -> list[Any]:
        """Return the ordering values a cursor names; a malformed or foreign one is a field error."""
        invalid = ValidationFailed({"cursor": [_("This cursor is not valid for this list and ordering.")]})
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            name, values = json.loads(raw)
        except (ValueError, TypeError, binascii.Error):
            raise invalid from None
        if name != self.name or not isinstance(values, list) or len(values) != len(self._fields):
            raise invalid
        parsed = []
        for (field_name, _descending), value in zip(self._fields, values, strict=True):
            if not isinstance(value, str):
                raise invalid
            try:
                parsed_value = self._field(field_name).to_python(value)
            except ValidationError:
                raise invalid from None
            if parsed_value is None:
                raise invalid
            parsed.append(parsed_value)
        return parsed

    def _field(self, name: str) -> models.Field[Any, Any]:
        field = self.model._meta.get_field(name)
        if not isinstance(field, models.Field):
            raise TypeError(f"{self.model.__name__}.{name} is not a concrete field")
        return field

    def _after(self, values: list[Any]) -> Q:
        """Rows strictly after `values` in this ordering.

        Written as `a <= x AND (a < x OR (a = x AND ...))`: the leading range lets both
        databases start the index walk at the cursor instead of filtering from the top.
        """
        (first, first_descending), first_value = self._fields[0], values[0]
        leading = Q(**{f"{first}__{'lte' if first_descending else 'gte'}": first_value})
        return leading & self._strictly_after(list(zip(self._fields, values, strict=True)))

    def _strictly_after(self, pairs: list[tuple[tuple[str, bool], Any]]) -> Q:
        (name, descending), value = pairs[0]
        beyond = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
        if len(pairs) == 1:
            return beyond
        return beyond | (Q(**{name: value}) & self._strictly_after(pairs[1:]))


class OffsetPages:
    """Pages of a queryset in the order it already has (a computed rank no index can resume), by offset.

    The cursor names the next offset, so callers page through it as through a `Keyset`; offsets
    stop at MAX_OFFSET (a ranked list is read from the top: nobody needs its ten-thousandth row).
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def page(
        self, queryset: QuerySet[ModelT], *, cursor: str | None, limit: int, offset: int = 0
    ) -> KeysetPage[ModelT]:
        start = self.decode(cursor) if cursor else offset
        items = list(queryset[start : start + limit + 1])
        more = len(items) > limit and start + limit <= MAX_OFFSET
        return KeysetPage(items=items[:limit], next_cursor=self.encode(start + limit) if more else None)

    def encode(self, offset: int) -> str:
        raw = json.dumps([self.name, [str(offset)]], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str) -> int:
        invalid = ValidationFailed({"cursor": [_("This cursor is not valid for this list and ordering.")]})
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            name, values = json.loads(raw)
        except (ValueError, TypeError, binascii.Error):
            raise invalid from None
        if name != self.name or not isinstance(values, list) or len(values) != 1 or not isinstance(values[0], str):
            raise invalid
        if not values[0].isascii() or not values[0].isdigit() or int(values[0]) > MAX_OFFSET:
            raise invalid
        return int(values[0])
