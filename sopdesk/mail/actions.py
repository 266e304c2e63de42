"""Every change of the inbound mail configuration (audited, the password write-only) and the re-processing
of quarantined mail. The admin, the API, the workspace and the commands call these."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sopdesk.accounts.models import User
from sopdesk.audit.actions import field_values, record_config_change
from sopdesk.audit.choices import Operation
from sopdesk.core.errors import ActionError, PermissionRefused
from sopdesk.core.validation import ValidationFailed, validate_instance
from sopdesk.mail.choices import MailState
from sopdesk.mail.models import InboundMail, Mailbox
from sopdesk.mail.processing import process_mail

# What an administrator sets; the password is among them but never read back or audited in clear.
MAILBOX_FIELDS = (
    "name",
    "address",
    "is_active",
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_username",
    "imap_password",
    "imap_folder",
    "after_fetch",
    "processed_folder",
    "allow_new_requesters",
    "send_acknowledgement",
    "default_category",
)
SECRET_FIELDS = frozenset({"imap_password"})
AUDITED_FIELDS = tuple(name for name in MAILBOX_FIELDS if name not in SECRET_FIELDS)
SECRET_CHANGED = "(changed)"  # noqa: S105 (a marker, not a password)


def may_manage_mail(user: User) -> bool:
    """Active administrators and superusers configure mailboxes and handle the quarantine."""
    return user.is_administrator


def check_may_manage_mail(actor: User | None) -> None:
    # None is a command run on the server.
    if actor is not None and not may_manage_mail(actor):
        raise PermissionRefused(_("Only administrators may manage mailboxes and inbound mail."))


def _audited(mailbox: Mailbox, *, secret_changed: bool) -> dict[str, Any]:
    values = field_values(mailbox, AUDITED_FIELDS)
    if secret_changed:
        values["imap_password"] = SECRET_CHANGED
    return values


def _check_keys(values: Mapping[str, Any]) -> None:
    unknown = sorted(set(values) - set(MAILBOX_FIELDS))
    if unknown:
        raise ActionError(_("Unknown field: %(name)s") % {"name": unknown[0]}, field=unknown[0])


def _save(mailbox: Mailbox, **kwargs: Any) -> None:
    validate_instance(mailbox, fields=MAILBOX_FIELDS)
    try:
        with transaction.atomic():
            mailbox.save(**kwargs)
    except IntegrityError:
        raise ValidationFailed({"address": [_("Another mailbox has this name or address.")]}) from None


def create_mailbox(*, actor: User | None, values: Mapping[str, Any], now: datetime) -> Mailbox:
    """Add a mailbox from `values` (MAILBOX_FIELDS; the default category as an object)."""
    check_may_manage_mail(actor)
    _check_keys(values)
    mailbox = Mailbox(**values)
    with transaction.atomic():
        _save(mailbox, force_insert=True)
        record_config_change(
            mailbox,
            operation=Operation.CREATED,
            before={},
            after=_audited(mailbox, secret_changed=bool(mailbox.imap_password)),
            actor=actor,
            now=now,
        )
    return mailbox


def update_mailbox(mailbox: Mailbox, *, actor: User | None, changes: Mapping[str, Any], now: datetime) -> Mailbox:
    """Change fields of `mailbox`; an `imap_password` of None or "" keeps the stored one (write-only)."""
    check_may_manage_mail(actor)
    _check_keys(changes)
    changes = dict(changes)
    if not changes.get("imap_password"):
        changes.pop("imap_password", None)
    with transaction.atomic():
        mailbox = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        before = _audited(mailbox, secret_changed=False)
        secret_changed = "imap_password" in changes and changes["imap_password"] != mailbox.imap_password
        for name, value in changes.items():
            setattr(mailbox, name, value)
        _save(mailbox, update_fields=list(changes) or None)
        after = _audited(mailbox, secret_changed=False)
        if secret_changed:
            before["imap_password"], after["imap_password"] = "", SECRET_CHANGED
        record_config_change(mailbox, operation=Operation.CHANGED, before=before, after=after, actor=actor, now=now)
    return mailbox


def reprocess_mail(mail: InboundMail, *, actor: User | None, now: datetime) -> InboundMail:
    """Put a quarantined message back to "received" and process it again (the raw is unchanged)."""
    check_may_manage_mail(actor)
    with transaction.atomic():
        locked = InboundMail.objects.select_for_update().defer("raw").get(pk=mail.pk)
        if locked.state != MailState.QUARANTINED:
            raise ActionError(_("Only quarantined mail can be processed again."), field="state")
        locked.state = MailState.RECEIVED
        locked.save(update_fields=["state"])
    return process_mail(mail.pk, now=now)
