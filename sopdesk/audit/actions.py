"""Writing the configuration audit log: configuration actions call `record_config_change` in their transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from sopdesk.accounts.models import User
from sopdesk.audit.choices import Operation
from sopdesk.audit.models import ConfigChange

OBJECT_REPR_LENGTH = ConfigChange._meta.get_field("object_repr").max_length or 200


def as_json(value: Any) -> Any:
    """Return `value` as the audit log stores it (dates, times and decimals as strings), so that it compares equal."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def field_values(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Return the stored value of each of `fields` of `instance` (a foreign key as its id), JSON-ready."""
    meta = instance._meta
    return {name: as_json(meta.get_field(name).value_from_object(instance)) for name in fields}  # type: ignore[union-attr]


def changed_values(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the entries of `before` and `after` whose values differ (a key only on one side counts)."""
    keys = sorted(
        key
        for key in {*before, *after}
        if key not in before or key not in after or as_json(before[key]) != as_json(after[key])
    )
    return (
        {key: as_json(before[key]) for key in keys if key in before},
        {key: as_json(after[key]) for key in keys if key in after},
    )


def record_config_change(
    target: models.Model,
    *,
    operation: Operation,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    actor: User | None,
    now: datetime,
) -> ConfigChange | None:
    """Record that `actor` (None: a command on the server) created, changed or deleted `target` at `now`.

    Only the fields whose values differ are kept; a change that changed nothing records nothing (None).
    Call it inside the transaction of the change itself (refused outside one), so both commit or neither.
    For a deletion, call it before the row is deleted: the log keeps the row's id and name.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_config_change() must run inside the transaction of the change it records")
    if target.pk is None:
        raise ValueError("record_config_change() needs a saved object (record a deletion before deleting)")
    old, new = changed_values(before, after)
    if operation == Operation.CHANGED and not old and not new:
        return None
    change = ConfigChange(
        changed_at=now,
        actor=actor,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        object_repr=str(target)[:OBJECT_REPR_LENGTH],
        operation=operation,
        before=old,
        after=new,
    )
    change.save(force_insert=True)
    return change
