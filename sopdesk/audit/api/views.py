"""Audit log endpoints: the configuration changes, for administrators and auditors."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from sopdesk.audit.api.schemas import ConfigChangeListParams, ConfigChangePage
from sopdesk.audit.api.serializers import config_change_out
from sopdesk.audit.queries import check_may_read_config_changes, config_changes
from sopdesk.core.api import check_query_parameters, error_responses, request_user
from sopdesk.core.validation import ValidationFailed

router = Router(tags=["audit"])

ERRORS = error_responses(400, 401, 403, 422)


@router.get("/config-changes", response={200: ConfigChangePage, **ERRORS})
def list_config_changes(request: HttpRequest, params: Query[ConfigChangeListParams]) -> dict[str, Any]:
    """List the recorded configuration changes, newest first: who changed which object when, before and after.

    Filter by object (`object_type`, `object_id`), by `actor` username and by time (`since` ≤ changed_at <
    `until`). Administrators and auditors only (403 for everyone else).
    """
    check_query_parameters(request, ConfigChangeListParams)
    check_may_read_config_changes(request_user(request))
    if params.since is not None and params.until is not None and params.until <= params.since:
        raise ValidationFailed({"until": [_("Must be later than since.")]})
    changes = config_changes(
        object_type=params.object_type,
        object_id=params.object_id,
        actor=params.actor,
        since=params.since,
        until=params.until,
    )
    page = changes[params.offset : params.offset + params.limit]
    return {"count": changes.count(), "items": [config_change_out(change) for change in page]}
