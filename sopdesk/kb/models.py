"""Knowledge-base articles: a working copy, its immutable published versions, reviews, feedback and ticket links."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from sopdesk.core.models import AppendOnlyModel, AppendOnlyQuerySet, NoDeleteModel
from sopdesk.kb.choices import ArticleStatus, ArticleType, ArticleVisibility, ReviewEntryKind
from sopdesk.kb.querysets import ArticleQuerySet

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

TEXT_MAX_LENGTH = 20_000
TAGS_MAX = 20
TAG_MAX_LENGTH = 40


def _text(label: StrOrPromise) -> models.TextField:  # type: ignore[type-arg]
    return models.TextField(label, blank=True, validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])


class ArticleCategory(NoDeleteModel):
    """An admin-managed tree of knowledge-base categories (configuration, audited)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    is_active = models.BooleanField(_("is active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")

    def __str__(self) -> str:
        return self.name


class ArticleContent(models.Model):
    """The fields an author writes and a publication freezes (the working copy and each version)."""

    title = models.CharField(_("title"), max_length=200)
    article_type = models.CharField(_("type"), max_length=20, choices=ArticleType.choices, default=ArticleType.FAQ)
    category = models.ForeignKey(
        ArticleCategory, verbose_name=_("category"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    problem = _text(_("problem description"))
    diagnosis = _text(_("diagnosis steps"))
    solution = _text(_("solution"))
    notes = _text(_("notes"))
    applies_to = _text(_("applies to"))
    visibility = models.CharField(
        _("visibility"), max_length=20, choices=ArticleVisibility.choices, default=ArticleVisibility.INTERNAL
    )
    tags: models.JSONField[list[str], list[str]] = models.JSONField(_("tags"), default=list, blank=True)

    class Meta:
        abstract = True


class Article(ArticleContent, NoDeleteModel):
    """An article's working copy and lifecycle; readers see `live_version`, never the working copy."""

    status = models.CharField(_("status"), max_length=20, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    organizations = models.ManyToManyField(
        "accounts.Organization",
        verbose_name=_("organisations"),
        blank=True,
        related_name="+",
        help_text=_("With visibility “customers of given organisations”: whose requesters may read it."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    review_due_on = models.DateField(_("review due on"), null=True, blank=True)
    live_version = models.ForeignKey(
        "ArticleVersion",
        verbose_name=_("published version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The version readers see; empty while never published, outdated or archived."),
    )
    source_ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("seeded from ticket"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    # Counters that analytics reads.
    view_count = models.PositiveIntegerField(_("views"), default=0)
    helpful_count = models.PositiveIntegerField(_("helpful votes"), default=0)
    not_helpful_count = models.PositiveIntegerField(_("not helpful votes"), default=0)
    solved_count = models.PositiveIntegerField(_("tickets solved with it"), default=0)

    objects = ArticleQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [models.Index(fields=["status", "review_due_on"], name="kb_article_review_due")]

    def __str__(self) -> str:
        return self.title


class ArticleVersion(ArticleContent, AppendOnlyModel):
    """One publication of an article, frozen (append-only); numbered from 1 per article."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("number"))
    organizations = models.ManyToManyField(
        "accounts.Organization", verbose_name=_("organisations"), blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), on_delete=models.PROTECT, related_name="+"
    )

    objects = AppendOnlyQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering = ["article", "number"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="kb_version_number_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ReviewEntry(AppendOnlyModel):
    """One step of an article's review: submission, comment, change request, approval, withdrawal."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.PROTECT, related_name="reviews")
    kind = models.CharField(_("kind"), max_length=20, choices=ReviewEntryKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("comment"), blank=True, validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    version_number = models.PositiveIntegerField(_("version"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("review entry")
        verbose_name_plural = _("review entries")

    def __str__(self) -> str:
        return f"{self.article_id} {self.kind}"


class ArticleFeedback(AppendOnlyModel):
    """A reader's rating (helpful or not) and/or suggested correction."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.PROTECT, related_name="feedback")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    helpful = models.BooleanField(_("helpful"), null=True)
    suggestion = models.TextField(_("suggestion"), blank=True, validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    version_number = models.PositiveIntegerField(_("version"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")

    def __str__(self) -> str:
        return f"{self.article_id} {self.helpful}"


class ArticleTicketLink(models.Model):
    """A ticket solved with an article."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.PROTECT, related_name="ticket_links"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="kb_links"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("linked by"), on_delete=models.PROTECT, related_name="+"
    )
    linked_at = models.DateTimeField(_("linked at"))

    class Meta:
        ordering = ["-linked_at", "-pk"]
        verbose_name = _("article ↔ ticket link")
        verbose_name_plural = _("article ↔ ticket links")
        constraints = [models.UniqueConstraint(fields=["article", "ticket"], name="kb_link_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} ↔ {self.ticket_id}"


def article_attachment_path(instance: ArticleAttachment, filename: str) -> str:
    """Store under a generated name so user-chosen names never reach the file system."""
    return f"kb/{instance.created_at:%Y/%m}/{uuid.uuid4().hex}"


class ArticleAttachment(NoDeleteModel):
    """A file or image of an article, served only through a download that checks the article's visibility."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.PROTECT, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("file"), upload_to=article_attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("article attachment")
        verbose_name_plural = _("article attachments")

    def __str__(self) -> str:
        return self.original_name
