from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "sopdesk.integrations"
    label = "integrations"
    verbose_name = _("Chat robots and webhooks")

    def ready(self) -> None:
        # Ticket changes and SLA alerts become outbox messages in their own transaction; the outbox
        # sends them through the senders registered here (docs/integrations.md).
        from sopdesk.core.config_cache import watch
        from sopdesk.integrations.follow import IntegrationFollower, SlaAlertFollower
        from sopdesk.integrations.models import ChatRobot, Webhook
        from sopdesk.integrations.senders import register_senders
        from sopdesk.sla.listeners import register_sla_listener
        from sopdesk.tickets.observers import register_observer

        register_senders()
        register_observer(IntegrationFollower())
        register_sla_listener(SlaAlertFollower())
        watch(ChatRobot, Webhook)
