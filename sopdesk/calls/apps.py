from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallsConfig(AppConfig):
    name = "sopdesk.calls"
    label = "calls"
    verbose_name = _("Phone calls")

    def ready(self) -> None:
        from sopdesk.calls.choices import CallEventKind
        from sopdesk.tickets.events import register_event_kinds

        register_event_kinds(CallEventKind)
