from django.db import models
from django.utils.translation import gettext_lazy as _


class Operation(models.TextChoices):
    CREATED = "created", _("Created")
    CHANGED = "changed", _("Changed")
    DELETED = "deleted", _("Deleted")
