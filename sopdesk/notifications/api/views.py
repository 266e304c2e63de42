"""Inbox endpoints: the caller's own notifications, and marking them read."""

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router

from sopdesk.core.api import check_query_parameters, error_responses, request_user
from sopdesk.notifications import actions
from sopdesk.notifications.api import serializers
from sopdesk.notifications.api.schemas import (
    InboxParams,
    NotificationOut,
    NotificationPage,
    NotificationPath,
    ReadAllOut,
)
from sopdesk.notifications.queries import get_notification_for_user, inbox_for

router = Router(tags=["notifications"])

ERRORS = error_responses(400, 401, 403, 404, 422)


@router.get("", response={200: NotificationPage, **ERRORS})
def list_notifications(request: HttpRequest, params: Query[InboxParams]) -> dict[str, Any]:
    """List the caller's notifications, newest first; `unread=true` for the unread ones only."""
    check_query_parameters(request, InboxParams)
    user = request_user(request)
    notifications = inbox_for(user, is_unread_only=bool(params.unread))
    page = notifications.only(*serializers.FIELDS)[params.offset : params.offset + params.limit]
    count = notifications.count()
    unread_count = count if params.unread else inbox_for(user, is_unread_only=True).count()
    return {"count": count, "unread_count": unread_count, "items": [serializers.notification_out(n) for n in page]}


@router.post("/read-all", response={200: ReadAllOut, **ERRORS})
@transaction.atomic
def mark_all_read(request: HttpRequest) -> dict[str, Any]:
    """Mark all of the caller's notifications read."""
    return {"marked_count": actions.mark_all_read(actor=request_user(request), now=timezone.now())}


@router.post("/{notification_id}/read", response={200: NotificationOut, **ERRORS})
@transaction.atomic
def mark_read(request: HttpRequest, path: Path[NotificationPath]) -> dict[str, Any]:
    """Mark one of the caller's notifications read; someone else's is 404."""
    user = request_user(request)
    notification = get_notification_for_user(user, path.notification_id)
    actions.mark_read(notification, actor=user, now=timezone.now())
    return serializers.notification_out(notification)
