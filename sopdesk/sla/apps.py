from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sopdesk.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        # The clocks follow every ticket change (docs/architecture.md: "the ticket changed, the clocks follow").
        from sopdesk.audit.models import ConfigChange
        from sopdesk.core.config_cache import watch
        from sopdesk.sla.choices import SlaEventKind
        from sopdesk.sla.follow import SlaClockFollower
        from sopdesk.sla.mailvalues import SlaMailValues
        from sopdesk.sla.models import Calendar, CalendarDate, EscalationRule, SlaPolicy, WorkingInterval
        from sopdesk.tickets.events import register_event_kinds
        from sopdesk.tickets.mailvalues import register_mail_values
        from sopdesk.tickets.observers import register_observer

        register_observer(SlaClockFollower())
        # The acknowledgement mail tells the expected response and resolution and the service hours.
        register_mail_values(SlaMailValues())
        register_event_kinds(SlaEventKind)
        # The cached policies, rules and calendars (sopdesk.sla.policies) reload after any change of
        # these; the audit log covers the configuration actions' bulk updates, which send no signals.
        watch(SlaPolicy, EscalationRule, Calendar, WorkingInterval, CalendarDate, ConfigChange)
