"""Routing rules, the specialist team of each category, and major-incident flags."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from sopdesk.tickets.choices import Channel, Difficulty, Priority, TicketType

KEYWORDS_MAX_LENGTH = 1000


class RoutingRule(models.Model):
    """One ordered rule: a new ticket matching every set condition goes to `team` (the first match wins)."""

    position = models.PositiveIntegerField(
        _("position"), validators=[MinValueValidator(1)], help_text=_("Rules are tried in ascending position.")
    )
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("is active"), default=True)
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Matches this category and its subcategories."),
    )
    ticket_type = models.CharField(_("type"), max_length=20, choices=TicketType.choices, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    customer_level = models.ForeignKey(
        "accounts.CustomerLevel",
        verbose_name=_("customer level"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices, blank=True)
    min_difficulty = models.PositiveSmallIntegerField(
        _("minimum difficulty"), choices=Difficulty.choices, null=True, blank=True
    )
    keywords = models.TextField(
        _("keywords"),
        blank=True,
        max_length=KEYWORDS_MAX_LENGTH,
        help_text=_("Comma-separated; matches when the title or description contains any of them."),
    )
    team = models.ForeignKey("accounts.Team", verbose_name=_("target team"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"

    def keyword_list(self) -> list[str]:
        return [word.strip().casefold() for word in self.keywords.replace("\n", ",").split(",") if word.strip()]


class CategorySpecialist(models.Model):
    """The specialist team that takes a category's tickets of difficulty 2 and above."""

    category = models.OneToOneField(
        "tickets.Category", verbose_name=_("category"), on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("specialist team"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["category__code"]
        verbose_name = _("category specialist team")
        verbose_name_plural = _("category specialist teams")

    def __str__(self) -> str:
        return f"{self.category} → {self.team}"


class MajorIncident(models.Model):
    """A ticket of difficulty 4 marked for the major-incident procedure (the procedure comes later)."""

    ticket = models.OneToOneField(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="major_incident"
    )
    flagged_at = models.DateTimeField(_("flagged at"))

    class Meta:
        ordering = ["-flagged_at"]
        verbose_name = _("major incident")
        verbose_name_plural = _("major incidents")

    def __str__(self) -> str:
        return str(self.ticket_id)
