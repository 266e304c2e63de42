"""What the portal asks a requester per category, and the articles requesters opened while asking for help."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from sopdesk.portal.choices import StandardField


class CategoryRequestField(models.Model):
    """One field of the second step of "Ask for help" for a category (and its subcategories without their own).

    A standard field writes the ticket's column of that name; an extra field (no standard field, a
    label) is added to the description in a labelled block, since tickets have no column for it.
    """

    category = models.ForeignKey(
        "tickets.Category", verbose_name=_("category"), on_delete=models.CASCADE, related_name="request_fields"
    )
    standard_field = models.CharField(
        _("standard field"),
        max_length=40,
        choices=StandardField.choices,
        blank=True,
        help_text=_("Empty: an extra field, added to the description under its label."),
    )
    label = models.CharField(
        _("label"), max_length=100, blank=True, help_text=_("Required for an extra field; replaces a standard label.")
    )
    help_text = models.CharField(_("hint"), max_length=200, blank=True)
    is_required = models.BooleanField(_("is required"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)

    class Meta:
        ordering = ["category", "sort_order", "pk"]
        verbose_name = _("request field")
        verbose_name_plural = _("request fields per category")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(standard_field="", label=""), name="request_field_standard_or_label"
            ),
            models.UniqueConstraint(
                fields=["category", "standard_field"],
                condition=~models.Q(standard_field=""),
                name="request_field_unique_standard",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.display_label}"

    @property
    def display_label(self) -> str:
        if self.label:
            return self.label
        return str(StandardField(self.standard_field).label) if self.standard_field else ""

    def clean(self) -> None:
        if not self.standard_field and not self.label.strip():
            raise ValidationError({"label": _("An extra field needs a label.")})


class DeflectionVisit(models.Model):
    """A requester opened an article from the suggestions of "Ask for help" (see deflection.py for what counts).

    Whether a request followed is not stored: it is read from the requester's tickets
    (`deflection.deflected_visits`), so a request sent by mail or phone counts as well.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requester"), on_delete=models.CASCADE, related_name="+"
    )
    article = models.ForeignKey(
        "kb.Article", verbose_name=_("article"), on_delete=models.PROTECT, related_name="deflection_visits"
    )
    visited_at = models.DateTimeField(_("visited at"))

    class Meta:
        ordering = ["-visited_at", "-pk"]
        verbose_name = _("article opened while asking for help")
        verbose_name_plural = _("articles opened while asking for help")
        indexes = [
            models.Index(fields=["article", "visited_at"], name="portal_deflection_article"),
            models.Index(fields=["visited_at"], name="portal_deflection_visited"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.article_id}"
