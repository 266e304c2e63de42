"""The configuration audit log in the admin: read-only, for administrators and auditors only."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from sopdesk.audit.models import ConfigChange
from sopdesk.audit.queries import may_read_config_changes
from sopdesk.core.admin import ReadOnlyAdmin

FIELDS = (
    "changed_at",
    "actor",
    "operation",
    "object_type",
    "object_id",
    "object_repr",
    "values_before",
    "values_after",
)


def _pretty(values: dict[str, Any]) -> str:
    return format_html("<pre>{}</pre>", json.dumps(values, ensure_ascii=False, indent=2, sort_keys=True))


@admin.register(ConfigChange)
class ConfigChangeAdmin(ReadOnlyAdmin):
    list_display = ["changed_at", "actor", "operation", "object_type", "object_repr"]
    list_filter = ["operation", "object_type"]
    list_select_related = ["actor"]
    search_fields = ["object_repr", "object_id", "actor__username"]
    date_hierarchy = "changed_at"
    fields = FIELDS
    readonly_fields = FIELDS

    # Django's model permissions would let any staff user with "view" read the log: the role decides instead.
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_read_config_changes(request.user)  # type: ignore[arg-type]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_read_config_changes(request.user)  # type: ignore[arg-type]

    @admin.display(description=_("before"))
    def values_before(self, obj: ConfigChange) -> str:
        return _pretty(obj.before)

    @admin.display(description=_("after"))
    def values_after(self, obj: ConfigChange) -> str:
        return _pretty(obj.after)
