from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "sopdesk.mail"
    label = "mail"
    verbose_name = _("Inbound mail")

    def ready(self) -> None:
        from sopdesk.mail.threads import InboundMailThreads
        from sopdesk.tickets.mailthreads import register_inbound_thread_source

        register_inbound_thread_source(InboundMailThreads())
