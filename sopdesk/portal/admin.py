"""Admins configure the second step of "Ask for help" per category here."""

from __future__ import annotations

from django.contrib import admin

from sopdesk.portal.models import CategoryRequestField


@admin.register(CategoryRequestField)
class CategoryRequestFieldAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["category", "display_label", "standard_field", "is_required", "sort_order"]
    list_editable = ["is_required", "sort_order"]
    list_filter = ["category"]
    ordering = ["category__sort_order", "category__code", "sort_order", "pk"]
