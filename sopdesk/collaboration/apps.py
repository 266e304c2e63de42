from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollaborationConfig(AppConfig):
    name = "sopdesk.collaboration"
    label = "collaboration"
    verbose_name = _("Collaboration between teams")

    def ready(self) -> None:
        # Timeline kinds, and the rule that a ticket with open requests is not resolved
        # (docs/collaboration.md); tickets never import this app.
        from sopdesk.collaboration.choices import CollaborationEventKind
        from sopdesk.collaboration.guards import OpenRequestsGuard
        from sopdesk.tickets.events import register_event_kinds
        from sopdesk.tickets.guards import register_transition_guard

        register_event_kinds(CollaborationEventKind)
        register_transition_guard(OpenRequestsGuard())
