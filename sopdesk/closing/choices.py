from django.db import models
from django.utils.translation import gettext_lazy as _


class ClosingEventKind(models.TextChoices):
    """Timeline entries the auto-close job writes (the actor is the system)."""

    AUTOCLOSE_REMINDER = "autoclose_reminder", _("Reminder before automatic closing")
    AUTO_CLOSED = "auto_closed", _("Closed automatically")
