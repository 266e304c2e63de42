"""Which second-step fields a category asks for: its own, else its nearest ancestor's, else a short default."""

from __future__ import annotations

from collections.abc import Sequence

from sopdesk.portal.choices import StandardField
from sopdesk.portal.models import CategoryRequestField
from sopdesk.tickets.models import Category

# For a category without fields of its own or inherited: what the standard template asks of any problem.
DEFAULT_FIELDS = (StandardField.OCCURRED_AT, StandardField.ERROR_MESSAGE, StandardField.ATTEMPTED_MEASURES)


def request_fields_for(category: Category | None) -> list[CategoryRequestField]:
    """Return the fields of `category`, inherited from its nearest ancestor that has any (one query per level)."""
    seen: set[int] = set()
    current = category
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        fields = list(CategoryRequestField.objects.filter(category=current))
        if fields:
            return fields
        current = current.parent
    return default_fields()


def default_fields() -> list[CategoryRequestField]:
    """Return the unsaved default fields shown when no category configures any."""
    return [CategoryRequestField(standard_field=field, sort_order=index) for index, field in enumerate(DEFAULT_FIELDS)]


def extra_block(fields: Sequence[CategoryRequestField], values: dict[str, str]) -> str:
    """Return the labelled block of the extra fields' answers for the description ("" without answers)."""
    lines = [f"{field.label}: {values[field_key(field)]}" for field in fields if values.get(field_key(field))]
    return "\n".join(lines)


def field_key(field: CategoryRequestField) -> str:
    """Return the form field name of `field`: the standard field's name, or `extra_<id>`."""
    return field.standard_field or f"extra_{field.pk}"
