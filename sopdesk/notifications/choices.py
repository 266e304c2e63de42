from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    """Why a notification was sent. An open list: apps add members here, no migration needed."""

    TICKET_EVENT = "ticket_event", _("Ticket update")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breach")
    SLA_ESCALATION = "sla_escalation", _("SLA escalation")
    REQUEST_RECEIVED = "request_received", _("Request received")
    ASSIGNMENT_FALLBACK = "assignment_fallback", _("No agent qualified")
    KB_REVIEW_DUE = "kb_review_due", _("Article due for review")


class DeliveryChannel(models.TextChoices):
    """How an outbox message leaves the system (chat robots and webhooks join here)."""

    EMAIL = "email", _("E-mail")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    FEISHU = "feishu", _("Feishu group robot")
    WEBHOOK = "webhook", _("Webhook")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class MailEvent(models.TextChoices):
    """The mails a requester receives, each with an admin-editable template per language."""

    ACKNOWLEDGEMENT = "acknowledgement", _("Request received")
    PUBLIC_REPLY = "public_reply", _("Reply from the support team")
    INFORMATION_REQUESTED = "information_requested", _("Information requested")
    RESOLVED = "resolved", _("Request resolved")
    AUTOCLOSE_REMINDER = "autoclose_reminder", _("Reminder before automatic closing")
    AUTO_CLOSED = "auto_closed", _("Request closed automatically")
