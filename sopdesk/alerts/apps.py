from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "sopdesk.alerts"
    label = "alerts"
    verbose_name = _("Monitoring alerts")

    def ready(self) -> None:
        from sopdesk.alerts.choices import AlertEventKind
        from sopdesk.tickets.events import register_event_kinds

        register_event_kinds(AlertEventKind)
