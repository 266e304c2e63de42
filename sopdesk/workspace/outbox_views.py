"""The outbox page of the workspace (administrators): messages by channel and state, dead letters, retry.

Reads through `integrations.queries`, retries through `integrations.actions.retry_dead_letters` (audited);
these views only parse, ask and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from sopdesk.accounts.models import User
from sopdesk.core.errors import ActionError
from sopdesk.integrations.actions import may_configure_integrations, retry_dead_letters
from sopdesk.integrations.queries import outbox_messages, target_names
from sopdesk.notifications.choices import DeliveryChannel, DeliveryStatus
from sopdesk.notifications.models import OutboxMessage
from sopdesk.workspace.views import nav_context, staff_required

PAGE_SIZE = 50
STATUS_COLOURS: dict[str, str] = {
    DeliveryStatus.PENDING: "bg-blue-lt",
    DeliveryStatus.SENDING: "bg-azure-lt",
    DeliveryStatus.SENT: "bg-green-lt",
    DeliveryStatus.FAILED: "bg-red-lt",
}


def _admin(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not may_configure_integrations(user):
        raise PermissionDenied(_("Only administrators may see the outbox."))
    return user


def _choice(value: str | None, allowed: list[str]) -> str:
    return value if value in allowed else ""


@require_GET
@staff_required
def outbox(request: HttpRequest) -> HttpResponse:
    """Outgoing messages newest first, filtered by channel and status; failed ones can be sent again."""
    _admin(request)
    channel = _choice(request.GET.get("channel"), list(DeliveryChannel.values))
    status = _choice(request.GET.get("status"), list(DeliveryStatus.values))
    page = Paginator(outbox_messages(channel=channel or None, status=status or None), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows: list[OutboxMessage] = list(page.object_list)
    names = target_names(rows)
    counts = dict(OutboxMessage.objects.order_by().values_list("status").annotate(count=Count("pk")))
    context: dict[str, Any] = {
        **nav_context(request, active="outbox"),
        "page": page,
        "rows": [
            (message, names.get(message.address, message.address), STATUS_COLOURS.get(message.status, ""))
            for message in rows
        ],
        "channel": channel,
        "status": status,
        "channels": DeliveryChannel.choices,
        "statuses": DeliveryStatus.choices,
        "counts": [
            (value, label, counts.get(value, 0), STATUS_COLOURS[DeliveryStatus(value)])
            for value, label in DeliveryStatus.choices
        ],
        "has_failed": any(message.status == DeliveryStatus.FAILED for message in rows),
        "here": request.get_full_path(),
    }
    return render(request, "workspace/outbox/outbox.html", context)


@require_POST
@staff_required
def outbox_retry(request: HttpRequest) -> HttpResponse:
    """Send the chosen failed messages again (one or many); back to the list the form came from."""
    user = _admin(request)
    ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit()]
    if not ids:
        messages.warning(request, _("Choose the failed messages to send again."))
    else:
        try:
            with transaction.atomic():
                count = retry_dead_letters(ids, actor=user, now=timezone.now())
        except ActionError as error:
            messages.error(request, error.message)
        else:
            if count:
                messages.success(
                    request,
                    ngettext("%(count)d message will be sent again.", "%(count)d messages will be sent again.", count)
                    % {"count": count},
                )
            else:
                messages.warning(request, _("None of them had failed; nothing was changed."))
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False)
    return redirect(target if safe and target else reverse("workspace:outbox"))
