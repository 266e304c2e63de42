"""Base classes for records that are never hard-deleted, and the configuration stamp."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _


class HardDeleteRefused(Exception):
    """Raised when code tries to hard-delete a record that must be kept."""


class NoDeleteQuerySet(models.QuerySet):  # type: ignore[type-arg]
    """A queryset whose bulk `delete()` is refused: records are kept for audit."""

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise HardDeleteRefused(f"{self.model.__name__} records are never deleted")


class AppendOnlyQuerySet(NoDeleteQuerySet):
    """A queryset whose bulk `update()` is refused too: rows are written once."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise HardDeleteRefused(f"{self.model.__name__} records are append-only")


class NoDeleteModel(models.Model):
    """A model whose rows are kept for at least the retention period: `delete()` is refused."""

    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        raise HardDeleteRefused(f"{type(self).__name__} records are never deleted")


class AppendOnlyModel(NoDeleteModel):
    """A record that is written once and never changed or deleted (timeline, audit log)."""

    objects = AppendOnlyQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise HardDeleteRefused(f"{type(self).__name__} records are append-only")
        super().save(*args, **kwargs)


class ConfigStamp(models.Model):
    """A random token replaced by every configuration change (`sopdesk.core.config_cache`).

    Processes keep rarely changing configuration (priority matrix, SLA policies, ...) in memory and
    compare this one row before using it: a different token means someone changed something.
    """

    key = models.PositiveSmallIntegerField(_("key"), primary_key=True)
    token = models.CharField(_("token"), max_length=32)

    class Meta:
        verbose_name = _("configuration stamp")
        verbose_name_plural = _("configuration stamps")

    def __str__(self) -> str:
        return self.token
