from django.db import models
from django.utils.translation import gettext_lazy as _


class CallEventKind(models.TextChoices):
    """The phone-call entry on a ticket's timeline (registered in CallsConfig.ready)."""

    PHONE_CALL_LOGGED = "phone_call_logged", _("Phone call logged")


class CallDirection(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class CallOutcome(models.TextChoices):
    ANSWERED_ON_CALL = "answered_on_call", _("Answered on the call")
    FOLLOW_UP = "follow_up", _("Needs follow-up")
    CALLBACK = "callback", _("Callback promised")
    MISSED = "missed", _("Missed / not answered")
    TRANSFERRED = "transferred", _("Transferred")
