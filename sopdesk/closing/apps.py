from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClosingConfig(AppConfig):
    name = "sopdesk.closing"
    label = "closing"
    verbose_name = _("Closing the loop")

    def ready(self) -> None:
        # The auto-close schedule follows every status change (docs/architecture.md, observers).
        from sopdesk.closing.choices import ClosingEventKind
        from sopdesk.closing.follow import AutoCloseFollower
        from sopdesk.tickets.events import register_event_kinds
        from sopdesk.tickets.observers import register_observer

        register_observer(AutoCloseFollower())
        register_event_kinds(ClosingEventKind)
