"""Ticket endpoints: parse, authorize, call an action or a query, shape the answer."""

from typing import Any

from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Path, Query, Router, Status
from ninja.files import UploadedFile

from sopdesk.accounts.models import Team, User
from sopdesk.core import config_cache
from sopdesk.core.api import check_form_parts, check_query_parameters, error_responses, request_user
from sopdesk.core.errors import ActionError, PreconditionFailed
from sopdesk.core.http import client_address
from sopdesk.core.prepared import PreparedRead
from sopdesk.core.validation import ValidationFailed
from sopdesk.sla.queries import new_ticket_sla_snapshot, sla_snapshots
from sopdesk.tickets import actions
from sopdesk.tickets.api import serializers
from sopdesk.tickets.api.schemas import (
    AssignIn,
    AttachmentOut,
    AttachmentPath,
    CommentIn,
    EventListParams,
    EventOut,
    EventPage,
    TicketCreateIn,
    TicketListParams,
    TicketOut,
    TicketPage,
    TicketUpdateIn,
    TransitionIn,
)
from sopdesk.tickets.attachments import attachment_download_response
from sopdesk.tickets.cached import ticket_config
from sopdesk.tickets.choices import AccessChannel
from sopdesk.tickets.filters import TicketFilterSet
from sopdesk.tickets.models import Category, Ticket
from sopdesk.tickets.queries import (
    attachments_for,
    events_for,
    get_attachment_for_user,
    get_ticket_for_user,
    ticket_list_page,
)

router = Router(tags=["tickets"])

ERRORS = error_responses(400, 401, 403, 404, 409, 422)
CONDITIONAL_ERRORS = error_responses(400, 401, 403, 404, 409, 412, 422)


def _category(code: str | None) -> Category | None:
    if not code:
        return None
    # From the per-process configuration (with its default team: a new ticket is routed to it).
    category = ticket_config().categories.get(code)
    if category is None:
        raise ActionError(_("Unknown category."), field="category")
    return category


# With what a new ticket copies from its requester (organisation and its level, department). Staff
# creating on someone's behalf run it on every creation: its SQL is built once per process.
_ACTIVE_USER = PreparedRead(
    User,
    lambda username: User.objects.select_related("organization__customer_level", "department").filter(
        username=username, is_active=True
    )[:1],
    "str",
)


def _active_user(username: str, field: str) -> User:
    user = _ACTIVE_USER.first(username)
    if user is None:
        raise ActionError(_("Unknown user."), field=field)
    return user


@router.get("", response={200: TicketPage, **ERRORS})
def list_tickets(request: HttpRequest, params: Query[TicketListParams]) -> dict[str, Any]:
    """List the tickets the caller may see, filtered, ordered and paginated."""
    check_query_parameters(request, TicketListParams)
    data = params.dict(exclude_none=True, exclude={"limit", "offset"})
    user = request_user(request)
    filterset = TicketFilterSet(data=_as_query_data(data), queryset=Ticket.objects.visible_to(user), viewer=user)
    if not filterset.is_valid():
        raise ValidationFailed({field: [str(m) for m in msgs] for field, msgs in filterset.errors.items()})
    page = ticket_list_page(
        filterset.qs, ordering=params.ordering, cursor=params.cursor, limit=params.limit, offset=params.offset
    )
    clocks = sla_snapshots(page.items, now=timezone.now())
    return {
        "count": page.count.value,
        "count_exact": page.count.exact,
        "next_cursor": page.next_cursor,
        "items": [serializers.ticket_summary(t, clocks[t.pk]) for t in page.items],
    }


def _as_query_data(data: dict[str, Any]) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in data.items():
        if isinstance(value, list):
            query.setlist(key, [str(v.value if hasattr(v, "value") else v) for v in value])
        elif hasattr(value, "isoformat"):
            query[key] = value.isoformat()
        else:
            query[key] = str(value)
    return query


@router.post("", response={201: TicketOut, **ERRORS})
def create_ticket(request: HttpRequest, payload: TicketCreateIn) -> Status[Any]:
    """Create a ticket; requesters create for themselves, staff may name another requester."""
    # Not wrapped in a transaction: the action writes in its own short one, so lookups and
    # validation do not hold SQLite's write lock (bench/README.md).
    actor = request_user(request)
    actions.check_may_create_for(actor, requester_username=payload.requester)
    requester = actor
    if payload.requester and payload.requester != actor.username:
        requester = _active_user(payload.requester, "requester")
    details = payload.dict(exclude={"requester", "category", "tags"})
    if details.get("difficulty") is None:
        details.pop("difficulty", None)
    now = timezone.now()
    # One configuration stamp for the category and the action, read before the action's transaction,
    # so that SQLite's write lock is held for one statement less.
    with config_cache.consistent():
        draft = actions.TicketDraft(details=details, category=_category(payload.category), tags=payload.tags)
        ticket = actions.create_ticket(actor=actor, requester=requester, draft=draft, now=now)
    # The clocks just started are still attached to the ticket, and a ticket created without tags has none.
    sla = new_ticket_sla_snapshot(ticket, now=now)
    return Status(201, serializers.ticket_detail(ticket, actor, now=now, sla=sla, tags=None if payload.tags else []))


def _if_match(request: HttpRequest, ticket: Ticket) -> int | None:
    """Return the ticket version the client's `If-Match` names (None without the header or with `*`).

    A tag of another ticket or an unreadable one cannot match: 412, as for a stale version.
    """
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    tag = header.removeprefix("W/")
    prefix = f'"{ticket.number}.'
    if "," in tag or not tag.startswith(prefix) or not tag.endswith('"') or not tag[len(prefix) : -1].isdigit():
        raise PreconditionFailed(_("If-Match does not name a version of this ticket; reload it and try again."))
    return int(tag[len(prefix) : -1])


def _detail(ticket: Ticket, user: User, response: HttpResponse) -> dict[str, Any]:
    """Shape the ticket and send its entity tag along."""
    response["ETag"] = serializers.etag(ticket)
    return serializers.ticket_detail(ticket, user)


@router.get("/{number}", response={200: TicketOut, **ERRORS})
def get_ticket(request: HttpRequest, response: HttpResponse, number: str) -> dict[str, Any]:
    """Return one ticket with its `ETag`; staff views are recorded in the access log."""
    user = request_user(request)
    ticket = get_ticket_for_user(user, number)
    actions.record_ticket_view(
        ticket, user=user, via=AccessChannel.API, now=timezone.now(), ip_address=client_address(request)
    )
    return _detail(ticket, user, response)


@router.patch("/{number}", response={200: TicketOut, **CONDITIONAL_ERRORS})
@transaction.atomic
def update_ticket(request: HttpRequest, response: HttpResponse, number: str, payload: TicketUpdateIn) -> dict[str, Any]:
    """Change descriptive fields or override the priority (staff only); `If-Match` refuses a stale edit."""
    user = request_user(request)
    ticket = get_ticket_for_user(user, number)
    version = _if_match(request, ticket)
    changes = payload.dict(exclude_unset=True)
    priority = changes.pop("priority", None)
    reason = changes.pop("priority_reason", None)
    try:
        actions.check_priority_reason(priority=priority, reason=reason)
        if "category" in changes:
            changes["category"] = _category(changes["category"])
        now = timezone.now()
        if changes:
            actions.edit_ticket_details(ticket, actor=user, changes=changes, now=now, expected_version=version)
            version = None if version is None else ticket.version
        if priority is not None:
            actions.override_priority(
                ticket, priority=priority, reason=reason or "", actor=user, now=now, expected_version=version
            )
    except ActionError as exc:
        if exc.field == "reason":  # the actions' `reason` is this body's `priority_reason`
            exc.field = "priority_reason"
        raise
    return _detail(ticket, user, response)


@router.post("/{number}/transitions", response={200: TicketOut, **CONDITIONAL_ERRORS})
@transaction.atomic
def transition_ticket(
    request: HttpRequest, response: HttpResponse, number: str, payload: TransitionIn
) -> dict[str, Any]:
    """Change the status along the lifecycle; resolving needs a closure summary, reopening a reason."""
    user = request_user(request)
    ticket = get_ticket_for_user(user, number)
    closure = actions.ClosureSummary(**payload.closure.dict()) if payload.closure else None
    actions.change_status(
        ticket,
        to_status=payload.to_status,
        actor=user,
        now=timezone.now(),
        reason=payload.reason,
        closure=closure,
        expected_version=_if_match(request, ticket),
    )
    return _detail(ticket, user, response)


@router.post("/{number}/comments", response={201: EventOut, **ERRORS})
@transaction.atomic
def add_comment(request: HttpRequest, number: str, payload: CommentIn) -> Status[Any]:
    """Add a public reply or (staff) an internal note."""
    user = request_user(request)
    ticket = get_ticket_for_user(user, number)
    event = actions.add_comment(
        ticket, actor=user, body=payload.body, is_internal=payload.is_internal, now=timezone.now()
    )
    return Status(201, serializers.event_out(event))


@router.post("/{number}/assign", response={200: TicketOut, **CONDITIONAL_ERRORS})
@transaction.atomic
def assign_ticket(request: HttpRequest, response: HttpResponse, number: str, payload: AssignIn) -> dict[str, Any]:
    """Route the ticket to a team and/or an assignee (staff); `If-Match` refuses a stale assignment."""
    user = request_user(request)
    ticket = get_ticket_for_user(user, number)
    actions.check_may_assign(user)
    team = None
    if payload.team:
        team = Team.objects.filter(code=payload.team).first()
        if team is None:
            raise ActionError(_("Unknown team."), field="team")
    assignee = _active_user(payload.assignee, "assignee") if payload.assignee else None
    cosigner = _active_user(payload.cosigner, "cosigner") if payload.cosigner else None
    actions.assign_ticket(
        ticket,
        team=team,
        assignee=assignee,
        actor=user,
        now=timezone.now(),
        note=payload.note,
        cosigner=cosigner,
        expected_version=_if_match(request, ticket),
    )
    return _detail(ticket, user, response)


@router.get("/{number}/events", response={200: EventPage, **ERRORS})
def list_events(request: HttpRequest, number: str, params: Query[EventListParams]) -> dict[str, Any]:
    """Return the timeline; requesters never see internal events."""
    check_query_parameters(request, EventListParams)
    user = request_user(request)
    ticket = get_ticket_for_user(user, number)
    actions.record_ticket_view(
        ticket, user=user, via=AccessChannel.API, now=timezone.now(), ip_address=client_address(request)
    )
    events = events_for(ticket, user)
    page = events[params.offset : params.offset + params.limit]
    return {"count": events.count(), "items": [serializers.event_out(e) for e in page]}


@router.get("/{number}/attachments", response={200: list[AttachmentOut], **ERRORS})
def list_attachments(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """List the ticket's attachments; staff reads are recorded in the access log."""
    user = request_user(request)
    ticket = get_ticket_for_user(user, number)
    actions.record_ticket_view(
        ticket, user=user, via=AccessChannel.API, now=timezone.now(), ip_address=client_address(request)
    )
    return [serializers.attachment_out(a) for a in attachments_for(ticket, user).select_related("uploaded_by")]


@router.post("/{number}/attachments", response={201: AttachmentOut, **ERRORS})
@transaction.atomic
def upload_attachment(
    request: HttpRequest, number: str, file: File[UploadedFile], is_internal: Form[bool] = False
) -> Status[Any]:
    """Upload one file (multipart field `file`); type, size and content are checked, a second file is refused."""
    check_form_parts(request, frozenset({"file", "is_internal"}))
    user = request_user(request)
    ticket = get_ticket_for_user(user, number)
    attachment = actions.add_attachment(ticket, actor=user, upload=file, is_internal=is_internal, now=timezone.now())
    return Status(201, serializers.attachment_out(attachment))


@router.get("/{number}/attachments/{attachment_id}", response={200: None, **ERRORS})
def download_attachment(request: HttpRequest, path: Path[AttachmentPath]) -> FileResponse:
    """Download a file as an attachment (never rendered inline); staff downloads are recorded in the access log."""
    user = request_user(request)
    ticket = get_ticket_for_user(user, path.number)
    attachment = get_attachment_for_user(user, ticket, path.attachment_id)
    actions.record_ticket_view(
        ticket,
        user=user,
        via=AccessChannel.API,
        now=timezone.now(),
        ip_address=client_address(request),
        attachment=attachment,
    )
    return attachment_download_response(attachment)
