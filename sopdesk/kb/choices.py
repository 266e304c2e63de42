from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleType(models.TextChoices):
    FAQ = "faq", _("FAQ")
    HOW_TO = "how_to", _("How-to")
    TROUBLESHOOTING = "troubleshooting", _("Troubleshooting")
    SOP = "sop", _("SOP")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    OUTDATED = "outdated", _("Outdated")
    ARCHIVED = "archived", _("Archived")


class ArticleVisibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    ORGANIZATIONS = "organizations", _("Customers of given organisations")
    INTERNAL = "internal", _("Internal")


class ReviewEntryKind(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted for review")
    COMMENT = "comment", _("Comment")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved and published")
    OUTDATED = "outdated", _("Marked outdated")
    ARCHIVED = "archived", _("Archived")
    RESTORED = "restored", _("Older version restored")


class ArticleChange(models.TextChoices):
    """What happened to an article, as the change hook announces it (docs/kb.md)."""

    SAVED = "saved", _("Working copy saved")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn from readers")
