"""The article visibility rule: `Article.objects.visible_to(user)` (read helpers are in queries.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from sopdesk.core.models import NoDeleteQuerySet
from sopdesk.kb.choices import ArticleVisibility


def is_kb_staff(user: Any) -> bool:
    """Support-side users read every article, drafts and internal ones included."""
    return bool(getattr(user, "is_authenticated", False) and user.is_agent_staff)


class ArticleQuerySet(NoDeleteQuerySet):
    """Articles are archived, never deleted."""

    def visible_to(self, user: Any) -> ArticleQuerySet:
        """Articles `user` may read (an AnonymousUser too).

        Staff see every article. Requesters and anonymous readers see only articles with a live
        (published) version, judged by that version's visibility: public, or — for requesters —
        limited to their organisation. Drafts, articles in review, outdated, archived and internal
        ones never reach them.
        """
        if is_kb_staff(user):
            return self.all()
        readable = Q(live_version__visibility=ArticleVisibility.PUBLIC)
        if getattr(user, "is_authenticated", False) and user.is_active and user.organization_id is not None:
            readable |= Q(
                live_version__visibility=ArticleVisibility.ORGANIZATIONS,
                pk__in=self.model.objects.filter(live_version__organizations=user.organization_id).values("pk"),
            )
        return self.filter(live_version__isnull=False).filter(readable)
