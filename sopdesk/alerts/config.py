"""Configuring alert sources (administrators): every change recorded in the configuration audit log.

The token is a secret: it is shown once, when made, and stored only as a hash; the audit log
records that it changed, never its value.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User, hash_token
from sopdesk.alerts.choices import SourceKind
from sopdesk.alerts.models import AlertSource
from sopdesk.audit.actions import field_values, record_config_change
from sopdesk.audit.choices import Operation
from sopdesk.core.errors import ActionError, PermissionRefused, TransitionRefused
from sopdesk.core.validation import ValidationFailed, validate_instance
from sopdesk.lib.text import has_forbidden_name_characters
from sopdesk.tickets.choices import Priority
from sopdesk.tickets.models import Category

TOKEN_PREFIX = "sda_"  # noqa: S105  (a prefix, not a secret)
# Fields of a source the audit log shows; the token hash is not one of them.
AUDITED_FIELDS = (
    "name",
    "kind",
    "is_active",
    "team",
    "category",
    "severity_map",
    "default_priority",
    "auto_resolve",
)

MAX_SEVERITIES = 50


def may_change_sources(user: User) -> bool:
    return user.is_administrator


def _check_actor(actor: User | None) -> None:
    # None is a command run on the server.
    if actor is not None and not may_change_sources(actor):
        raise PermissionRefused(_("Only administrators may configure alert sources."))


def new_token() -> str:
    """Return a fresh random source token (shown once, stored hashed)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def check_severity_map(value: Any) -> dict[str, str]:
    """Return `value` as a severity → priority map, or raise with a field message."""
    message = _("Map severity names (one line, at most 50 characters) to P1, P2, P3 or P4.")
    if not isinstance(value, Mapping) or len(value) > MAX_SEVERITIES:
        raise ValidationFailed({"severity_map": [message]})
    result: dict[str, str] = {}
    for key, priority in value.items():
        name = str(key).strip().lower()
        if not name or len(name) > 50 or has_forbidden_name_characters(name) or priority not in Priority.values:
            raise ValidationFailed({"severity_map": [message]})
        result[name] = priority
    return result


@dataclass(frozen=True)
class SourceSettings:
    """What an administrator sets on a source."""

    name: str
    kind: str
    team: Team | None = None
    category: Category | None = None
    severity_map: Mapping[str, str] | None = None
    default_priority: str = Priority.P3
    auto_resolve: bool = False
    is_active: bool = True


def _service_username(name: str) -> str:
    base = slugify(name)[:80] or "source"
    return f"alerts-{base}-{secrets.token_hex(3)}"


def _apply(source: AlertSource, settings_: SourceSettings) -> None:
    source.name = settings_.name.strip()
    source.kind = settings_.kind
    source.team = settings_.team
    source.category = settings_.category
    if settings_.severity_map is not None:
        source.severity_map = check_severity_map(settings_.severity_map)
    source.default_priority = settings_.default_priority
    source.auto_resolve = settings_.auto_resolve
    source.is_active = settings_.is_active
    if has_forbidden_name_characters(source.name):
        raise ValidationFailed(
            {"name": [_("Must be one line without control, invisible or direction-changing characters.")]}
        )
    if source.kind not in SourceKind.values:
        raise ValidationFailed({"kind": [_("Unknown payload format.")]})
    if source.team is not None and not source.team.is_active:
        raise ActionError(_("This team is no longer active."), field="team")
    if source.category is not None and not source.category.is_active:
        raise ActionError(_("This category is no longer in use."), field="category")
    validate_instance(source, fields=("name", "default_priority"))


def create_alert_source(*, settings: SourceSettings, actor: User | None, now: datetime) -> tuple[AlertSource, str]:
    """Create a source with its service account and a new token; return both (the raw token only here)."""
    _check_actor(actor)
    token = new_token()
    source = AlertSource(token_hash=hash_token(token), created_at=now, updated_at=now)
    _apply(source, settings)
    taken = TransitionRefused(_("An alert source with this name exists."), field="name")
    if AlertSource.objects.filter(name=source.name).exists():
        raise taken
    with transaction.atomic():
        service_user = User(
            username=_service_username(source.name),
            role=Role.REQUESTER,
            display_name=_("Monitoring: %(name)s") % {"name": source.name},
        )
        service_user.set_unusable_password()
        service_user.save()
        source.service_user = service_user
        try:
            with transaction.atomic():
                source.save(force_insert=True)
        except IntegrityError as error:  # a concurrent create with the same name
            raise taken from error
        after = {**field_values(source, AUDITED_FIELDS), "token": "set"}
        record_config_change(source, operation=Operation.CREATED, before={}, after=after, actor=actor, now=now)
    return source, token


def change_alert_source(source: AlertSource, *, settings: SourceSettings, actor: User | None, now: datetime) -> None:
    """Change a source's settings (not its token: `rotate_alert_source_token`)."""
    _check_actor(actor)
    with transaction.atomic():
        source = AlertSource.objects.select_for_update().get(pk=source.pk)
        before = field_values(source, AUDITED_FIELDS)
        _apply(source, settings)
        if AlertSource.objects.filter(name=source.name).exclude(pk=source.pk).exists():
            raise TransitionRefused(_("An alert source with this name exists."), field="name")
        source.updated_at = now
        source.save(update_fields=[*AUDITED_FIELDS, "updated_at"])
        service_user = source.service_user
        service_user.display_name = _("Monitoring: %(name)s") % {"name": source.name}
        service_user.save(update_fields=["display_name"])
        after = field_values(source, AUDITED_FIELDS)
        record_config_change(source, operation=Operation.CHANGED, before=before, after=after, actor=actor, now=now)


def rotate_alert_source_token(source: AlertSource, *, actor: User | None, now: datetime) -> str:
    """Give `source` a new token (the old one stops working) and return it; the audit log says only "changed"."""
    _check_actor(actor)
    token = new_token()
    with transaction.atomic():
        AlertSource.objects.filter(pk=source.pk).update(token_hash=hash_token(token), updated_at=now)
        source.refresh_from_db()
        record_config_change(
            source,
            operation=Operation.CHANGED,
            before={"token": "(secret)"},
            after={"token": "changed"},
            actor=actor,
            now=now,
        )
    return token


def source_for_token(raw: str) -> AlertSource | None:
    """Return the source whose token `raw` is (active or not), or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    return AlertSource.objects.select_related("service_user").filter(token_hash=hash_token(raw)).first()
