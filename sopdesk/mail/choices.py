"""Enumerations of the inbound mail pipeline."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImapSecurity(models.TextChoices):
    TLS = "tls", _("TLS (IMAPS)")
    STARTTLS = "starttls", _("STARTTLS")
    PLAIN = "plain", _("Plain (loopback only)")


class AfterFetch(models.TextChoices):
    FLAG = "flag", _("Flag as seen")
    MOVE = "move", _("Move to the processed folder")


class MailSource(models.TextChoices):
    IMAP = "imap", _("IMAP")
    SMTP = "smtp", _("SMTP")
    UPLOAD = "upload", _("Upload")


class MailState(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    QUARANTINED = "quarantined", _("Quarantined")
    IGNORED = "ignored", _("Ignored (auto-reply or bounce)")
