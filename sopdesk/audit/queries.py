"""Reading the configuration audit log: administrators and auditors only."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import User
from sopdesk.audit.models import ConfigChange
from sopdesk.core.errors import PermissionRefused

READER_ROLES = frozenset({Role.ADMIN, Role.QA_AUDITOR})


def may_read_config_changes(user: User) -> bool:
    """Return True for active administrators, auditors and superusers."""
    return user.is_active and (user.is_superuser or user.role in READER_ROLES)


def check_may_read_config_changes(user: User) -> None:
    """Refuse anyone `may_read_config_changes` does not accept."""
    if not may_read_config_changes(user):
        raise PermissionRefused(_("Only administrators and auditors may read the configuration audit log."))


def config_changes(
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[ConfigChange]:
    """Return the recorded changes, newest first, narrowed by object, actor username and time (since ≤ t < until)."""
    changes = ConfigChange.objects.select_related("actor").order_by("-changed_at", "-id")
    if object_type is not None:
        changes = changes.filter(object_type=object_type)
    if object_id is not None:
        changes = changes.filter(object_id=object_id)
    if actor is not None:
        changes = changes.filter(actor__username=actor)
    if since is not None:
        changes = changes.filter(changed_at__gte=since)
    if until is not None:
        changes = changes.filter(changed_at__lt=until)
    return changes
