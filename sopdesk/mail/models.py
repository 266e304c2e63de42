"""Mailboxes that receive requests by e-mail, and every inbound message exactly as it arrived."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from sopdesk.core.models import NoDeleteModel
from sopdesk.mail.choices import AfterFetch, ImapSecurity, MailSource, MailState

MESSAGE_ID_MAX_LENGTH = 255
ERROR_MAX_LENGTH = 2000


def is_loopback_host(host: str) -> bool:
    """Return True for `localhost` and loopback addresses (127.0.0.0/8, ::1): the only hosts plain IMAP may use."""
    name = (host or "").strip().strip("[]").lower()
    if name in ("localhost", "localhost.localdomain") or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class Mailbox(NoDeleteModel):
    """A support address whose mail becomes tickets; polled over IMAP or fed by SMTP and uploads (docs/mail.md)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.EmailField(_("support address"), unique=True)
    is_active = models.BooleanField(_("is active"), default=True)
    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(
        _("IMAP port"), default=993, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    imap_security = models.CharField(
        _("IMAP security"), max_length=10, choices=ImapSecurity.choices, default=ImapSecurity.TLS
    )
    imap_username = models.CharField(_("IMAP user name"), max_length=255, blank=True)
    # Write-only: never shown back in the admin, the API or the audit log.
    imap_password = models.CharField(_("IMAP password"), max_length=255, blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    after_fetch = models.CharField(
        _("after fetching"), max_length=10, choices=AfterFetch.choices, default=AfterFetch.FLAG
    )
    processed_folder = models.CharField(_("processed folder"), max_length=255, blank=True)
    allow_new_requesters = models.BooleanField(
        _("allow new requesters"),
        default=False,
        help_text=_("Mail from an unknown address creates a requester account; otherwise it is quarantined."),
    )
    send_acknowledgement = models.BooleanField(_("send acknowledgement"), default=True)
    default_category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("default category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_polled_at = models.DateTimeField(_("last polled at"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.imap_security == ImapSecurity.PLAIN and self.imap_host and not is_loopback_host(self.imap_host):
            errors["imap_security"] = _("Plain IMAP is allowed only for a loopback host; use TLS or STARTTLS.")
        if self.after_fetch == AfterFetch.MOVE and not self.processed_folder.strip():
            errors["processed_folder"] = _("Name the folder processed mail is moved to.")
        if errors:
            raise ValidationError(errors)


class InboundMail(NoDeleteModel):
    """One received message: the raw bytes are stored first (own transaction), then parsed and processed.

    The raw is never changed or lost; processing moves `state` from "received" to processed,
    quarantined (with `error`, re-processable) or ignored (auto-replies and bounces).
    """

    mailbox = models.ForeignKey(Mailbox, verbose_name=_("mailbox"), on_delete=models.PROTECT, related_name="mails")
    source = models.CharField(_("source"), max_length=10, choices=MailSource.choices)
    server_uid = models.CharField(_("server UID"), max_length=100, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=MESSAGE_ID_MAX_LENGTH, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size"))
    raw = models.BinaryField(_("raw message"))
    received_at = models.DateTimeField(_("received at"))
    state = models.CharField(
        _("state"), max_length=12, choices=MailState.choices, default=MailState.RECEIVED, db_index=True
    )
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("processing attempts"), default=0)
    transient_failures = models.PositiveSmallIntegerField(_("database failures while processing"), default=0)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    from_address = models.CharField(_("sender address"), max_length=254, blank=True, db_index=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    headers: models.JSONField[dict[str, Any], dict[str, Any]] = models.JSONField(_("headers"), default=dict, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inbound_mails",
    )
    event = models.ForeignKey(
        "tickets.TicketEvent",
        verbose_name=_("timeline event"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledged = models.BooleanField(_("acknowledgement sent"), default=False)

    class Meta:
        verbose_name = _("inbound mail")
        verbose_name_plural = _("inbound mails")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"], condition=~models.Q(message_id=""), name="inbound_mail_unique_message_id"
            ),
            models.UniqueConstraint(
                fields=["sha256"], condition=models.Q(message_id=""), name="inbound_mail_unique_sha_without_id"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "received_at"], name="inbound_mail_state_received"),
            models.Index(fields=["ticket", "received_at"], name="inbound_mail_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id or self.sha256[:12]} ({self.get_state_display()})"

    @property
    def raw_bytes(self) -> bytes:
        return bytes(self.raw)
