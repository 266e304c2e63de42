"""Shape audit log rows for the API."""

from __future__ import annotations

from typing import Any

from sopdesk.audit.models import ConfigChange


def config_change_out(change: ConfigChange) -> dict[str, Any]:
    """Return one recorded change as ConfigChangeOut expects it (the actor must be selected with the row)."""
    return {
        "id": change.pk,
        "changed_at": change.changed_at,
        "actor": change.actor.username if change.actor is not None else None,
        "operation": change.operation,
        "object_type": change.object_type,
        "object_type_label": change.object_type_label,
        "object_id": change.object_id,
        "object_repr": change.object_repr,
        "before": change.before,
        "after": change.after,
    }
