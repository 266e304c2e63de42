from django.db import models
from django.utils.translation import gettext_lazy as _


class StandardField(models.TextChoices):
    """Fields of the ticket's standard template (MISSION §1) that the portal can ask for per category."""

    OCCURRED_AT = "occurred_at", _("When it started")
    FREQUENCY = "frequency", _("How often it happens")
    ERROR_MESSAGE = "error_message", _("Error message")
    STEPS_TO_REPRODUCE = "steps_to_reproduce", _("Steps to reproduce")
    ATTEMPTED_MEASURES = "attempted_measures", _("What you already tried")
    BUSINESS_MODULE = "business_module", _("Affected business module")
    DEVICE_MODEL = "device_model", _("Device model / configuration")
    SOFTWARE_VERSION = "software_version", _("Software version")
    OPERATING_SYSTEM = "operating_system", _("Operating system")
    NETWORK_ENVIRONMENT = "network_environment", _("Network environment")
