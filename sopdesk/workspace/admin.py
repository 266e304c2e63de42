from __future__ import annotations

from django.contrib import admin

from sopdesk.core.admin import ReadOnlyAdmin
from sopdesk.workspace.models import SavedView


@admin.register(SavedView)
class SavedViewAdmin(ReadOnlyAdmin):
    """Saved views are made and removed by their owners in the workspace; admins look."""

    list_display = ("name", "owner", "queue", "shared_with", "is_active", "created_at")
    list_filter = ("is_active", "queue", "shared_with")
    search_fields = ("name", "owner__username")
