"""Saving, listing and retiring queue views; the rules of who may share and remove them."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from sopdesk.accounts.models import Team, TeamMembership, User
from sopdesk.core.errors import ActionError, NotFound, PermissionRefused
from sopdesk.lib.text import has_forbidden_name_characters
from sopdesk.workspace.models import SAVED_VIEW_NAME_MAX_LENGTH, SavedView
from sopdesk.workspace.queues import QUEUES_BY_SLUG

MAX_SAVED_VIEWS = 50


def saved_views_for(user: User, team_ids: list[int]) -> QuerySet[SavedView]:
    """Return the active views `user` may use: their own and those shared with their teams."""
    return (
        SavedView.objects.filter(is_active=True)
        .filter(Q(owner=user) | Q(shared_with_id__in=team_ids))
        .select_related("shared_with")
        .order_by("name", "id")
    )


def save_view(*, actor: User, name: str, queue: str, query: str, share_with: Team | None, now: datetime) -> SavedView:
    """Save a view for `actor`; sharing it with a team needs `actor` to lead that team."""
    if actor.is_requester:
        raise PermissionRefused(_("Only staff may save queue views."), field="name")
    name = name.strip()
    if not name:
        raise ActionError(_("Give the view a name."), field="name")
    if len(name) > SAVED_VIEW_NAME_MAX_LENGTH or has_forbidden_name_characters(name):
        raise ActionError(
            _("Use one line of at most %(count)d characters.") % {"count": SAVED_VIEW_NAME_MAX_LENGTH}, field="name"
        )
    if queue not in QUEUES_BY_SLUG:
        raise ActionError(_("Unknown queue."), field="queue")
    if len(query) > 2000:
        raise ActionError(_("Too many filters."), field="query")
    if share_with is not None and not TeamMembership.objects.filter(team=share_with, user=actor, is_lead=True).exists():
        raise PermissionRefused(_("Only team leads may share views with their team."), field="share")
    if SavedView.objects.filter(owner=actor, is_active=True).count() >= MAX_SAVED_VIEWS:
        raise ActionError(
            _("You have %(count)d saved views; remove one first.") % {"count": MAX_SAVED_VIEWS}, field="name"
        )
    return SavedView.objects.create(
        owner=actor, name=name, queue=queue, query=query, shared_with=share_with, created_at=now
    )


def retire_view(view_id: int, *, actor: User) -> None:
    """Remove a view from the lists (kept in the database); only its owner may."""
    view = SavedView.objects.filter(pk=view_id, is_active=True).first()
    if view is None or view.owner_id != actor.pk:
        raise NotFound(_("No such view."))
    view.is_active = False
    view.save(update_fields=["is_active"])
