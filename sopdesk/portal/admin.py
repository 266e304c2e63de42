"""Admins configure the second step of "Ask for help" per category here, and see the articles opened from it."""

from __future__ import annotations

from django.contrib import admin

from sopdesk.core.admin import ReadOnlyAdmin
from sopdesk.portal.models import CategoryRequestField, DeflectionVisit


@admin.register(CategoryRequestField)
class CategoryRequestFieldAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["category", "display_label", "standard_field", "is_required", "sort_order"]
    list_editable = ["is_required", "sort_order"]
    list_filter = ["category"]
    ordering = ["category__sort_order", "category__code", "sort_order", "pk"]


@admin.register(DeflectionVisit)
class DeflectionVisitAdmin(ReadOnlyAdmin):
    """Articles requesters opened from the request form's suggestions (recorded by the portal, never edited)."""

    list_display = ["visited_at", "user", "article"]
    list_select_related = ["user", "article"]
    date_hierarchy = "visited_at"
    search_fields = ["user__username", "article__title"]
