"""The in-app inbox and the outbox through which every notification leaves the system."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from sopdesk.core.models import NoDeleteModel
from sopdesk.notifications.choices import DeliveryChannel, DeliveryStatus, MailEvent, NotificationKind
from sopdesk.notifications.templating import template_errors

SUBJECT_MAX_LENGTH = 300
DEDUPE_KEY_MAX_LENGTH = 200
# An outbox key is the channel, the recipient and the notification's key (see outbox.outbox_key).
OUTBOX_KEY_MAX_LENGTH = 250


class Notification(NoDeleteModel):
    """One entry in a user's in-app inbox."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        related_name="notifications",
        db_index=False,  # the indexes below and the unique key all start with the recipient
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    # No `choices`: NotificationKind is an open list, and a new kind must not need a migration.
    kind = models.CharField(_("kind"), max_length=40)
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX_LENGTH)
    body = models.TextField(_("body"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    dedupe_key = models.CharField(
        _("deduplication key"),
        max_length=DEDUPE_KEY_MAX_LENGTH,
        help_text=_("Names the purpose, e.g. event:123:user:7; the same key twice for one recipient creates nothing."),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notification_unique_key"),
        ]
        indexes = [
            # The inbox list (GET /notifications), newest first.
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
            # "My unread, newest first" and the unread count: only unread rows, so it stays small.
            models.Index(
                fields=["recipient", "-created_at", "-id"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def kind_label(self) -> str:
        """Return the translated name of the kind (the raw value for kinds this code does not know)."""
        return str(NotificationKind(self.kind).label) if self.kind in NotificationKind.values else self.kind


class OutboxMessage(NoDeleteModel):
    """One outgoing delivery on one channel; the delivery worker moves it pending → sending → sent/failed."""

    channel = models.CharField(_("channel"), max_length=20, choices=DeliveryChannel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for deliveries to no particular user (webhooks)."),
    )
    address = models.CharField(
        _("address"), max_length=500, help_text=_("E-mail address, chat or webhook target, by channel.")
    )
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX_LENGTH)
    body = models.TextField(_("body"), blank=True)
    dedupe_key = models.CharField(
        _("deduplication key"),
        max_length=OUTBOX_KEY_MAX_LENGTH,
        unique=True,
        help_text=_("Channel, recipient and purpose, e.g. email:user:7:event:123:user:7; queued twice, sent once."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(
        _("attempts"), default=0, help_text=_("Delivery attempts started, including interrupted ones.")
    )
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.TextField(_("last error"), blank=True)
    claimed_until = models.DateTimeField(
        _("claimed until"),
        null=True,
        blank=True,
        help_text=_("While sending: when the worker's lease ends and another worker may try again."),
    )
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # Mail threading (lib.mailthread): stored when queued, so that a retry sends the same headers.
    # Database defaults: the set-based writers (enqueue_rows) leave these columns out.
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The ticket the message is about; its mail thread is looked up by it."),
    )
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True, default="", db_default="")
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=255, blank=True, default="", db_default="")
    references = models.TextField(_("References"), blank=True, default="", db_default="")
    reply_to = models.CharField(_("Reply-To"), max_length=254, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            # deliver_new() (the after-commit delivery job) takes the untried rows oldest first.
            # Without this it read the whole table in id order, sent rows included: every job
            # scanned every message ever sent.
            models.Index(
                fields=["id"],
                condition=models.Q(status=DeliveryStatus.PENDING, attempts=0),
                name="outbox_untried",
            ),
            # deliver_due() (the every-minute retry job) takes pending rows in next_attempt_at
            # order; sent and failed rows, the bulk, stay out of it.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status=DeliveryStatus.PENDING),
                name="outbox_pending_due",
            ),
            # release_expired_leases() finds rows whose worker died while sending.
            models.Index(
                fields=["claimed_until"],
                condition=models.Q(status=DeliveryStatus.SENDING),
                name="outbox_sending_lease",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.address}: {self.subject}"


class MailTemplate(models.Model):
    """The subject and body of one requester mail in one language (Django template syntax, plain text).

    Only the variables `sopdesk.notifications.mailtemplates.VARIABLES` names are available, and
    only a few harmless tags; `clean()` refuses anything else, so an admin cannot reach other data.
    """

    event = models.CharField(_("mail"), max_length=40, choices=MailEvent.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(
        _("subject"),
        max_length=SUBJECT_MAX_LENGTH,
        help_text=_("One line; keep {{ ticket_number }} in it so that replies find their request."),
    )
    body = models.TextField(_("body"), help_text=_("Plain text; the variables are listed below."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["event", "language"]
        verbose_name = _("mail template")
        verbose_name_plural = _("mail templates")
        constraints = [models.UniqueConstraint(fields=["event", "language"], name="mail_template_unique")]

    def __str__(self) -> str:
        return f"{self.get_event_display()} ({self.language})"

    def clean(self) -> None:
        errors = {
            field: messages
            for field, messages in (
                ("subject", template_errors(self.subject)),
                ("body", template_errors(self.body)),
            )
            if messages
        }
        if errors:
            raise ValidationError(errors)
