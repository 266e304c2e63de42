from django.contrib import admin

from sopdesk.search.models import SearchWord


@admin.register(SearchWord)
class SearchWordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("word", "created_at")
    search_fields = ("word",)
