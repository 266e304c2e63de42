"""Search configuration (admin-added dictionary words) and the queues of tickets and articles to re-index.

The index itself is not a Django model: on SQLite it is an FTS5 virtual table, on PostgreSQL a
table with `tsvector` columns; `sopdesk.search.backends` owns both (created by migration 0001).
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchWord(models.Model):
    """A word the segmentation must keep whole (a product name, an internal system)."""

    word = models.CharField(
        _("word"),
        max_length=40,
        unique=True,
        validators=[RegexValidator(r"^[^\s\x00-\x1f]+$", _("One word without spaces or control characters."))],
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["word"]
        verbose_name = _("search dictionary word")
        verbose_name_plural = _("search dictionary words")

    def __str__(self) -> str:
        return self.word


class PendingTicket(models.Model):
    """A ticket whose searchable text changed: written in the change's transaction, drained after commit."""

    ticket_id = models.BigIntegerField(_("ticket id"))
    noted_at = models.DateTimeField(_("noted at"))

    class Meta:
        verbose_name = _("ticket waiting for the search index")
        verbose_name_plural = _("tickets waiting for the search index")

    def __str__(self) -> str:
        return f"{self.ticket_id} @ {self.noted_at:%Y-%m-%d %H:%M:%S}"


class PendingArticle(models.Model):
    """An article whose live version may have changed: noted after the change committed, drained by a job."""

    article_id = models.BigIntegerField(_("article id"))
    noted_at = models.DateTimeField(_("noted at"))

    class Meta:
        verbose_name = _("article waiting for the search index")
        verbose_name_plural = _("articles waiting for the search index")

    def __str__(self) -> str:
        return f"{self.article_id} @ {self.noted_at:%Y-%m-%d %H:%M:%S}"
