"""The alert endpoint: a source posts its payload with its own bearer token."""

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.security import HttpBearer
from pydantic import Field

from sopdesk.alerts.actions import receive_alerts
from sopdesk.alerts.choices import AlertOutcome
from sopdesk.alerts.config import source_for_token
from sopdesk.alerts.models import AlertSource
from sopdesk.alerts.payloads import read_payload
from sopdesk.core.api import UnsupportedMediaType, error_responses
from sopdesk.core.errors import ActionError, PermissionRefused


class AlertSourceAuth(HttpBearer):
    """`Authorization: Bearer <token>` with the token made when the alert source was created."""

    def authenticate(self, request: HttpRequest, token: str) -> AlertSource | None:
        return source_for_token(token)


class BadRequest(ActionError):
    status_code = 400


class PayloadTooLarge(ActionError):
    status_code = 413


class AlertResultOut(Schema):
    fingerprint: str
    outcome: AlertOutcome
    ticket: str | None = Field(description="The incident ticket's number (none when the alert was ignored).")


class AlertsReceivedOut(Schema):
    results: list[AlertResultOut]


router = Router(tags=["alerts"], auth=[AlertSourceAuth()])


@router.post(
    "/{source_id}",
    response={200: AlertsReceivedOut, **error_responses(400, 401, 403, 413, 415, 422)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "description": "The source's payload: Alertmanager webhook v4, the Zabbix event "
                        "(docs/alerts.md) or the generic format.",
                    }
                }
            },
        }
    },
)
def receive(request: HttpRequest, source_id: int) -> dict[str, Any]:
    """Receive alerts from a monitoring source: open, note or resolve incident tickets (idempotent on retries)."""
    source: AlertSource = request.auth  # type: ignore[attr-defined]
    if source.pk != source_id or not source.is_active:
        # A valid token of another source, or a source switched off: known, but not allowed here.
        raise PermissionRefused(_("This token may not post to this alert source."))
    limit = settings.SOPDESK_ALERT_MAX_BYTES
    if request.content_type != "application/json":
        raise UnsupportedMediaType(_("Send the request body as application/json."))
    body = request.body
    if len(body) > limit:
        raise PayloadTooLarge(_("The alert payload is larger than %(limit)d bytes.") % {"limit": limit})
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise BadRequest(_("The body is not valid JSON."), field="body") from None
    alerts = read_payload(source.kind, data)
    results = receive_alerts(source, alerts, now=timezone.now())
    return {
        "results": [
            {"fingerprint": result.fingerprint, "outcome": result.outcome, "ticket": result.ticket_number}
            for result in results
        ]
    }
