from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "sopdesk.routing"
    label = "routing"
    verbose_name = _("Routing")

    def ready(self) -> None:
        # New tickets are routed by the rules (docs/routing.md); the cached rules reload after any change.
        from sopdesk.core.config_cache import watch
        from sopdesk.routing.choices import RoutingEventKind
        from sopdesk.routing.follow import MajorIncidentFollower
        from sopdesk.routing.models import CategorySpecialist, RoutingRule
        from sopdesk.routing.router import RuleRouter
        from sopdesk.tickets.events import register_event_kinds
        from sopdesk.tickets.observers import register_observer
        from sopdesk.tickets.routers import register_router

        register_router(RuleRouter())
        register_observer(MajorIncidentFollower())
        register_event_kinds(RoutingEventKind)
        watch(RoutingRule, CategorySpecialist)
