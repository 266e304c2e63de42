from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "sopdesk.casework"
    label = "casework"
    verbose_name = _("Casework")

    def ready(self) -> None:
        from sopdesk.casework.choices import CaseworkEventKind
        from sopdesk.tickets.events import register_event_kinds

        register_event_kinds(CaseworkEventKind)
