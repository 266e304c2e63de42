"""Configuration of chat robots and webhooks (administrators, audited; secrets write-only) and retries of dead letters.

Every change records itself in the configuration audit log in its transaction. The robot URL
and the signing secrets never reach the log: a change of one is recorded as "changed".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from django.db import transaction
from django.utils.translation import gettext as _

from sopdesk.accounts.models import Team, User
from sopdesk.audit.actions import field_values, record_config_change
from sopdesk.audit.choices import Operation
from sopdesk.core.errors import ActionError, PermissionRefused
from sopdesk.core.outbound_http import OutboundRefused, check_url_statically
from sopdesk.core.validation import ValidationFailed, validate_instance
from sopdesk.integrations.choices import ChatPlatform, IntegrationEvent
from sopdesk.integrations.models import ChatRobot, Webhook
from sopdesk.notifications.actions import retry_failed_messages

ROBOT_FIELDS = ("name", "team", "platform", "events", "is_active")
WEBHOOK_FIELDS = ("name", "url", "team", "events", "is_active")
SECRET_MARK = "changed"  # noqa: S105  (what the audit log shows instead of a secret)

Target = TypeVar("Target", ChatRobot, Webhook)


def may_configure_integrations(user: User) -> bool:
    """Active administrators and superusers configure robots and webhooks and retry dead letters."""
    return user.is_administrator


def check_may_configure(actor: User | None) -> None:
    # None is a command run on the server.
    if actor is not None and not may_configure_integrations(actor):
        raise PermissionRefused(_("Only administrators may configure chat robots, webhooks and the outbox."))


def _check_events(events: Any) -> list[str]:
    if not isinstance(events, list | tuple) or not all(isinstance(event, str) for event in events):
        raise ActionError(_("Choose the events as a list."), field="events")
    unknown = [event for event in events if event not in IntegrationEvent.values]
    if unknown:
        raise ActionError(_("Unknown event: %(name)s") % {"name": unknown[0]}, field="events")
    return [event for event in IntegrationEvent.values if event in events]  # stored in a fixed order


def _check_url(url: str, *, field: str) -> None:
    try:
        check_url_statically(url)
    except OutboundRefused as exc:
        raise ActionError(str(exc), field=field) from None


def _secret_marks(secrets: Mapping[str, bool]) -> dict[str, str]:
    return {name: SECRET_MARK for name, changed in secrets.items() if changed}


def _apply(
    target: Target, values: Mapping[str, Any], allowed: Iterable[str], secret_fields: Iterable[str]
) -> dict[str, bool]:
    """Set the allowed fields of `values` on `target`; return which secret fields were given a new value."""
    allowed, secret_fields = set(allowed), set(secret_fields)
    unknown = sorted(set(values) - allowed - secret_fields)
    if unknown:
        raise ActionError(_("Unknown field: %(name)s") % {"name": unknown[0]}, field=unknown[0])
    changed_secrets: dict[str, bool] = {}
    for name, value in values.items():
        if name == "events":
            value = _check_events(value)
        if name == "team" and value is not None and not isinstance(value, Team):
            raise ActionError(_("Choose a team."), field="team")
        if name in secret_fields:
            if value is None:
                continue  # write-only: not given means kept
            changed_secrets[name] = value != getattr(target, name)
        setattr(target, name, value)
    return changed_secrets


def _save(
    target: Target,
    *,
    fields: tuple[str, ...],
    secret_fields: tuple[str, ...],
    before: dict[str, Any],
    changed_secrets: dict[str, bool],
    is_new: bool,
    actor: User | None,
    now: datetime,
) -> Target:
    validate_instance(target, fields=[*fields, *secret_fields])
    if isinstance(target, ChatRobot):
        if target.platform not in ChatPlatform.values:
            raise ActionError(_("Choose a platform."), field="platform")
        _check_url(target.webhook_url, field="webhook_url")
    else:
        _check_url(target.url, field="url")
        if not target.secret:
            raise ValidationFailed({"secret": [_("A webhook needs a signing secret.")]})
    missing = [name for name in ("name",) if not getattr(target, name)]
    if missing:
        raise ValidationFailed({name: [_("This field is required.")] for name in missing})
    target.updated_at = now
    with transaction.atomic():
        if is_new:
            target.created_at = now
            target.save(force_insert=True)
        else:
            target.save(update_fields=[*fields, *secret_fields, "updated_at"])
        record_config_change(
            target,
            operation=Operation.CREATED if is_new else Operation.CHANGED,
            before=before,
            after={**field_values(target, fields), **_secret_marks(changed_secrets)},
            actor=actor,
            now=now,
        )
    return target


ROBOT_SECRETS = ("webhook_url", "secret")
WEBHOOK_SECRETS = ("secret",)


def create_chat_robot(*, actor: User | None, values: Mapping[str, Any], now: datetime) -> ChatRobot:
    """Add a team's group robot; `values` names the fields of ROBOT_FIELDS plus `webhook_url` and `secret`."""
    check_may_configure(actor)
    robot = ChatRobot(events=[IntegrationEvent.TICKET_CREATED, IntegrationEvent.MAJOR_INCIDENT])
    if not values.get("webhook_url"):
        raise ValidationFailed({"webhook_url": [_("This field is required.")]})
    changed = _apply(robot, values, ROBOT_FIELDS, ROBOT_SECRETS)
    changed = {name: bool(getattr(robot, name)) for name in ROBOT_SECRETS} | {k: v for k, v in changed.items() if v}
    if robot.team_id is None:
        raise ValidationFailed({"team": [_("This field is required.")]})
    return _save(
        robot,
        fields=ROBOT_FIELDS,
        secret_fields=ROBOT_SECRETS,
        before={},
        changed_secrets=changed,
        is_new=True,
        actor=actor,
        now=now,
    )


def update_chat_robot(robot: ChatRobot, *, actor: User | None, changes: Mapping[str, Any], now: datetime) -> ChatRobot:
    """Change a robot; a secret left out or None (or empty for the URL) is kept."""
    check_may_configure(actor)
    before = field_values(robot, ROBOT_FIELDS)
    changes = {k: v for k, v in changes.items() if not (k == "webhook_url" and not v)}
    changed = _apply(robot, changes, ROBOT_FIELDS, ROBOT_SECRETS)
    return _save(
        robot,
        fields=ROBOT_FIELDS,
        secret_fields=ROBOT_SECRETS,
        before=before,
        changed_secrets=changed,
        is_new=False,
        actor=actor,
        now=now,
    )


def create_webhook(*, actor: User | None, values: Mapping[str, Any], now: datetime) -> Webhook:
    """Add an outbound webhook; `values` names the fields of WEBHOOK_FIELDS plus `secret`."""
    check_may_configure(actor)
    webhook = Webhook(events=[IntegrationEvent.TICKET_CREATED])
    changed = _apply(webhook, values, WEBHOOK_FIELDS, WEBHOOK_SECRETS)
    return _save(
        webhook,
        fields=WEBHOOK_FIELDS,
        secret_fields=WEBHOOK_SECRETS,
        before={},
        changed_secrets={"secret": bool(webhook.secret)} | changed,
        is_new=True,
        actor=actor,
        now=now,
    )


def update_webhook(webhook: Webhook, *, actor: User | None, changes: Mapping[str, Any], now: datetime) -> Webhook:
    """Change a webhook; a secret left out, None or empty is kept."""
    check_may_configure(actor)
    before = field_values(webhook, WEBHOOK_FIELDS)
    changes = {k: v for k, v in changes.items() if not (k == "secret" and not v)}
    changed = _apply(webhook, changes, WEBHOOK_FIELDS, WEBHOOK_SECRETS)
    return _save(
        webhook,
        fields=WEBHOOK_FIELDS,
        secret_fields=WEBHOOK_SECRETS,
        before=before,
        changed_secrets=changed,
        is_new=False,
        actor=actor,
        now=now,
    )


def retry_dead_letters(message_ids: Iterable[int], *, actor: User, now: datetime) -> int:
    """Give failed outbox messages (dead letters) a fresh set of attempts; administrators only. Return how many."""
    check_may_configure(actor)
    return retry_failed_messages(message_ids, actor=actor, now=now)
