"""Review-due reminders: each owner of a published article whose review date has come is told once per date.

The scan reads the review-due queue (`queries.review_due_articles`, index `kb_article_review_due`)
in bounded batches and writes one in-app notification and one e-mail per article through the
notifications outbox. The dedupe key names the article, the due date and the owner, so running
the scan again the same day (or every hour) tells nobody twice, while a new due date, set after
the owner has checked the article, is a new reminder.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sopdesk.kb.models import Article
from sopdesk.kb.queries import review_due_articles
from sopdesk.notifications.choices import NotificationKind
from sopdesk.notifications.outbox import NotificationRow, are_notifications_suppressed, enqueue_rows
from sopdesk.tickets.notifications import recipient_language

BATCH_SIZE = 500


def reminder_key(article: Article) -> str:
    return f"kb-review-due:{article.pk}:{article.review_due_on}:user:{article.owner_id}"


def _reminder(article: Article) -> NotificationRow:
    owner = article.owner
    link = settings.SOPDESK_BASE_URL.rstrip("/") + reverse("workspace:kb_article", args=[article.pk])
    with translation.override(recipient_language(owner)):
        subject = _("Article due for review: %(title)s") % {"title": article.title}
        body = _(
            "The article “%(title)s”, which you own, was due for review on %(date)s.\n\n"
            "Check that it is still right: edit it and submit it again, change its review date, "
            "or mark it outdated.\n\n%(link)s"
        ) % {"title": article.title, "date": f"{article.review_due_on:%Y-%m-%d}", "link": link}
    return NotificationRow(
        recipient_id=owner.pk,
        email=owner.email,
        ticket_id=None,
        kind=NotificationKind.KB_REVIEW_DUE,
        subject=subject,
        body=body,
        dedupe_key=reminder_key(article),
        muted_kinds=owner.email_muted_kinds,
    )


def remind_review_due(*, now: datetime, batch: int = BATCH_SIZE) -> int:
    """Notify the owners of every article due for review on the desk's date of `now`; return how many were new."""
    if are_notifications_suppressed():
        return 0
    today: date = timezone.localdate(now)
    written, last_pk = 0, 0
    while True:
        rows = list(
            review_due_articles(today=today)
            .filter(pk__gt=last_pk, owner__is_active=True)
            .select_related("owner")
            .order_by("pk")[:batch]
        )
        if not rows:
            return written
        written += enqueue_rows([_reminder(article) for article in rows], now=now)
        last_pk = rows[-1].pk
