"""Outbox endpoints for administrators: the messages with their state, dead letters, retry."""

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router

from sopdesk.core.api import check_query_parameters, error_responses, request_user
from sopdesk.core.errors import NotFound
from sopdesk.integrations.actions import retry_dead_letters
from sopdesk.integrations.api.schemas import (
    OutboxListParams,
    OutboxMessageOut,
    OutboxPage,
    OutboxPath,
    OutboxRetryIn,
    OutboxRetryOut,
)
from sopdesk.integrations.queries import check_may_read_outbox, outbox_messages, target_names
from sopdesk.notifications.models import OutboxMessage

router = Router(tags=["outbox"])

ERRORS = error_responses(400, 401, 403, 404, 422)


def _message_out(message: OutboxMessage, names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": message.pk,
        "channel": message.channel,
        "target": names.get(message.address, message.address),
        "subject": message.subject,
        "status": message.status,
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at,
        "last_error": message.last_error,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
    }


@router.get("", response={200: OutboxPage, **ERRORS})
def list_outbox(request: HttpRequest, params: Query[OutboxListParams]) -> dict[str, Any]:
    """List outgoing messages (e-mail, chat robots, webhooks), newest first; `status=failed` lists the dead letters.

    Administrators only (403 for everyone else).
    """
    check_query_parameters(request, OutboxListParams)
    check_may_read_outbox(request_user(request))
    messages = outbox_messages(channel=params.channel, status=params.status)
    page = list(messages[params.offset : params.offset + params.limit])
    names = target_names(page)
    return {"count": messages.count(), "items": [_message_out(message, names) for message in page]}


@router.post("/retry", response={200: OutboxRetryOut, **ERRORS})
@transaction.atomic
def retry_outbox(request: HttpRequest, body: OutboxRetryIn) -> dict[str, Any]:
    """Send failed messages again with a fresh set of attempts (audited); others among `ids` are left alone."""
    count = retry_dead_letters(body.ids, actor=request_user(request), now=timezone.now())
    return {"retried_count": count}


@router.post("/{message_id}/retry", response={200: OutboxMessageOut, **ERRORS})
@transaction.atomic
def retry_outbox_message(request: HttpRequest, path: Path[OutboxPath]) -> dict[str, Any]:
    """Send one failed message again with a fresh set of attempts (audited); 404 for an unknown id."""
    user = request_user(request)
    check_may_read_outbox(user)
    if not OutboxMessage.objects.filter(pk=path.message_id).exists():
        raise NotFound(_("No such outbox message."))
    retry_dead_letters([path.message_id], actor=user, now=timezone.now())
    message = outbox_messages().get(pk=path.message_id)
    return _message_out(message, target_names([message]))
