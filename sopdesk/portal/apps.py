from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "sopdesk.portal"
    verbose_name = _("Customer portal")

    def ready(self) -> None:
        from sopdesk.core.config_cache import watch
        from sopdesk.kb.models import ArticleVersion
        from sopdesk.portal.mailvalues import HelpArticleMailValues
        from sopdesk.tickets.mailvalues import register_mail_values

        # The acknowledgement links the articles that best match the request.
        register_mail_values(HelpArticleMailValues())
        # A publication creates a version: the "any article published?" flag of the mail (suggestions.py) follows.
        watch(ArticleVersion)
