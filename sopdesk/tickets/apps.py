from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "sopdesk.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        # The per-process configuration cache (sopdesk.tickets.cached) reloads after any change of these.
        from sopdesk.accounts.models import Team
        from sopdesk.core.config_cache import watch
        from sopdesk.tickets.models import Category, PriorityRule

        watch(PriorityRule, Category, Team)
