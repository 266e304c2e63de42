from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "sopdesk.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        # The index follows every ticket change; the ticket filters' `q` goes through the service;
        # the dictionary reloads when admins change its words (infrastructure, listed in docs/search.md).
        from sopdesk.core.config_cache import watch
        from sopdesk.search.follow import SearchIndexFollower
        from sopdesk.search.models import SearchWord
        from sopdesk.search.service import filter_tickets
        from sopdesk.tickets.filters import register_text_search
        from sopdesk.tickets.observers import register_observer

        register_observer(SearchIndexFollower())
        register_text_search(filter_tickets)
        watch(SearchWord)
