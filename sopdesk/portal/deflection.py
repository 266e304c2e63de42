"""Deflection: a requester read a suggested article while asking for help and did not send the request.

The one definition (docs/kb.md, "Deflection"): a **deflection** is a `DeflectionVisit` — an
article opened from the suggestions of "Ask for help" — after which the same requester created no
ticket (through any channel) within `DEFLECTION_WINDOW`. A visit younger than the window is still
open and counts neither way. Several visits before one non-request each count for their article:
every article read then had its share in the requester's giving up.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, QuerySet

from sopdesk.accounts.models import User
from sopdesk.kb.models import Article
from sopdesk.portal.models import DeflectionVisit
from sopdesk.tickets.models import Ticket

DEFLECTION_WINDOW = timedelta(minutes=30)


def record_deflection_visit(article: Article, *, user: User, now: datetime) -> DeflectionVisit | None:
    """Record that requester `user` opened `article` (one they may read) from the request form's suggestions.

    Staff, anonymous and inactive users are not counted (they do not ask for help in the portal).
    """
    if not (user.is_authenticated and user.is_active and user.is_requester):
        return None
    return DeflectionVisit.objects.create(user=user, article=article, visited_at=now)


def _request_in_window() -> Exists:
    """True for a visit when its user created a ticket in the window after it."""
    return Exists(
        Ticket.objects.filter(
            requester=OuterRef("user_id"),
            created_at__gte=OuterRef("visited_at"),
            created_at__lt=OuterRef("visited_at") + DEFLECTION_WINDOW,
        )
    )


def settled_visits(*, now: datetime) -> QuerySet[DeflectionVisit]:
    """Visits whose window has passed, annotated with `followed_by_request` (a ticket of the user came in it)."""
    return DeflectionVisit.objects.filter(visited_at__lte=now - DEFLECTION_WINDOW).annotate(
        followed_by_request=_request_in_window()
    )


def deflected_visits(*, now: datetime) -> QuerySet[DeflectionVisit]:
    """The visits that are deflections at `now` (window passed, no request of the user in it)."""
    return DeflectionVisit.objects.filter(visited_at__lte=now - DEFLECTION_WINDOW).exclude(_request_in_window())


def deflection_counts(
    *, now: datetime, since: datetime | None = None, article_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Return {article id: deflections} for visits since `since` (all when None), one query; absent means 0."""
    visits = deflected_visits(now=now)
    if since is not None:
        visits = visits.filter(visited_at__gte=since)
    if article_ids is not None:
        visits = visits.filter(article_id__in=list(article_ids))
    rows = visits.order_by().values("article_id").annotate(count=Count("pk")).values_list("article_id", "count")
    return dict(rows)
