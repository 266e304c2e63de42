from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sopdesk.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        # The clocks follow every ticket change (docs/architecture.md: "the ticket changed, the clocks follow").
        from sopdesk.sla.choices import SlaEventKind
        from sopdesk.sla.follow import SlaClockFollower
        from sopdesk.tickets.events import register_event_kinds
        from sopdesk.tickets.observers import register_observer

        register_observer(SlaClockFollower())
        register_event_kinds(SlaEventKind)
