from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "sopdesk.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        # The index follows every ticket and article change; the ticket filters' `q` goes through the service;
        # the dictionary reloads when admins change its words (infrastructure, listed in docs/search.md).
        from sopdesk.core.config_cache import watch
        from sopdesk.kb.hooks import register_article_follower
        from sopdesk.search.follow import SearchIndexFollower, follow_article
        from sopdesk.search.models import SearchWord
        from sopdesk.search.service import filter_tickets, rank_tickets
        from sopdesk.tickets.filters import register_text_rank, register_text_search
        from sopdesk.tickets.observers import register_observer, register_team_observer

        follower = SearchIndexFollower()
        register_observer(follower)
        register_team_observer(follower)
        register_article_follower(follow_article)
        register_text_search(filter_tickets)
        register_text_rank(rank_tickets)
        watch(SearchWord)
