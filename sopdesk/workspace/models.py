"""What the workspace stores for its users: saved queue views."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sopdesk.core.models import NoDeleteModel

SAVED_VIEW_NAME_MAX_LENGTH = 60


class SavedView(NoDeleteModel):
    """A queue with filters and sorting under a name: personal, or shared with a team by its lead."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="saved_views"
    )
    name = models.CharField(_("name"), max_length=SAVED_VIEW_NAME_MAX_LENGTH)
    queue = models.SlugField(_("queue"), max_length=30)
    # The filters and sorting as a query string, rebuilt from known parameters only.
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    shared_with = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("shared with team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="saved_views",
    )
    is_active = models.BooleanField(_("is active"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        indexes = [models.Index(fields=["owner", "is_active"], name="saved_view_owner")]

    def __str__(self) -> str:
        return self.name
