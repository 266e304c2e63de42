from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "sopdesk.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # The per-process copy of the mail templates (mailtemplates.render_mail) reloads after an edit.
        from sopdesk.core.config_cache import watch
        from sopdesk.notifications.models import MailTemplate

        watch(MailTemplate)
