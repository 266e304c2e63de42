"""The requester's side of a request: the list of my requests and the request page with its answers.

Views parse input with the forms, read through the visibility querysets and change tickets only
through the ticket and casework actions; every rule (who may reply, which moves are offered,
who decides about remote access) lives there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sopdesk.accounts.models import Organization, User
from sopdesk.casework import actions as casework
from sopdesk.casework import queries as casework_queries
from sopdesk.core.errors import ActionError, PreconditionFailed
from sopdesk.core.validation import ValidationFailed
from sopdesk.portal import request_forms
from sopdesk.portal.access import portal_user, requester_required
from sopdesk.portal.presentation import (
    open_question,
    plain_status,
    request_cards,
    timeline_entries,
)
from sopdesk.search.service import filter_tickets
from sopdesk.tickets import actions
from sopdesk.tickets.attachments import attachment_download_response, check_upload
from sopdesk.tickets.choices import AWAITING_CONFIRMATION, Status
from sopdesk.tickets.models import Ticket
from sopdesk.tickets.queries import (
    attachments_for,
    get_attachment_for_user,
    get_ticket_for_user,
    latest_events_for,
    ticket_list_page,
)

PAGE_SIZE = 20
TIMELINE_LIMIT = 500


# My requests


def _organization_shares(user: User) -> bool:
    if user.organization_id is None:
        return False
    return Organization.objects.filter(pk=user.organization_id, shares_tickets=True).exists()


@require_GET
@requester_required
def request_list(request: HttpRequest) -> HttpResponse:
    """My requests (and my organisation's where it shares), most recently updated first."""
    user = portal_user(request)
    form = request_forms.RequestListForm(request.GET)
    shares = _organization_shares(user)
    cards: list[Any] = []
    next_cursor = None
    errors: dict[str, list[str]] = {}
    state = scope = text = ""
    if not form.is_valid():
        errors = {name: [str(problem) for problem in problems] for name, problems in form.errors.items()}
    else:
        state, scope = form.cleaned_data["state"], form.cleaned_data["scope"] if shares else ""
        tickets = Ticket.objects.visible_to(user)
        if scope != "organization":
            tickets = tickets.filter(requester=user)
        if state == "open":
            tickets = tickets.exclude(status=Status.CLOSED)
        elif state == "closed":
            tickets = tickets.filter(status=Status.CLOSED)
        text = form.cleaned_data["q"].strip()
        if text:
            # The one search service: Chinese words, prefixes, the number; the newest first as always.
            tickets = filter_tickets(tickets, text, viewer=user)
        try:
            page = ticket_list_page(
                tickets, ordering="-updated_at", cursor=form.cleaned_data["cursor"] or None, limit=PAGE_SIZE
            )
        except ActionError as error:
            errors[error.field or "cursor"] = [error.message]
        else:
            url = reverse("portal:request", args=["NUMBER"])
            cards = request_cards(page.items, request_url=url, viewer_id=user.pk)
            next_cursor = page.next_cursor
    context = {
        "active": "home",
        "cards": cards,
        "errors": errors,
        "state": state,
        "scope": scope,
        "q": text,
        "shares": shares,
        "states": [("", _("All")), *request_forms.LIST_FILTERS],
        "scopes": request_forms.LIST_SCOPES,
        "next_cursor": next_cursor,
        "is_first_page": not request.GET.get("cursor"),
    }
    return render(request, "portal/request_list.html", context, status=400 if errors else 200)


# The request page


def _request_context(request: HttpRequest, ticket: Ticket, *, now: datetime) -> dict[str, Any]:
    user = portal_user(request)
    events, has_older_events = latest_events_for(ticket, user, limit=TIMELINE_LIMIT)
    files = {attachment.pk: attachment for attachment in attachments_for(ticket, user)}
    transitions = actions.allowed_transitions(ticket, actor=user, now=now)
    writable = bool(transitions) or Ticket.objects.writable_by(user, by_key=True).filter(pk=ticket.pk).exists()
    deciding = casework.may_decide(user, ticket)
    authorizations = [
        (item, item.state_at(now), casework.authorization_moves(item, deciding=deciding, now=now))
        for item in casework_queries.authorizations_for(ticket, user)
    ]
    plans = [(plan, casework.plan_moves(plan, deciding=deciding)) for plan in casework_queries.plans_for(ticket, user)]
    confirmable = ticket.status in AWAITING_CONFIRMATION
    entries = timeline_entries(events, attachments=files, viewer_id=user.pk)
    is_pending_customer = ticket.status == Status.PENDING_CUSTOMER
    return {
        "active": "",
        "ticket": ticket,
        "status": plain_status(ticket.status),
        "is_pending_customer": is_pending_customer,
        "entries": entries,
        "has_older_events": has_older_events,
        "timeline_limit": TIMELINE_LIMIT,
        # While the team waits for the requester, their question is the card at the top.
        "question": open_question(entries) if is_pending_customer else None,
        "writable": writable,
        "may_confirm": confirmable and _solved_target(transitions) is not None,
        "may_reject": confirmable and Status.IN_PROGRESS in transitions,
        "authorizations": [row for row in authorizations if row[2]],
        "plans": [row for row in plans if row[1]],
        "reply_form": request_forms.ReplyForm(initial={"version": ticket.version}),
        "resolution_form": request_forms.ResolutionForm(initial={"version": ticket.version}),
        "stale": False,
    }


def _solved_target(transitions: list[Status]) -> Status | None:
    """The move that says "yes, solved" among those the ticket offers the requester."""
    return next((target for target in (Status.CLOSED, Status.RESOLVED) if target in transitions), None)


@require_GET
@requester_required
def request_page(request: HttpRequest, number: str) -> HttpResponse:
    ticket = get_ticket_for_user(portal_user(request), number)
    return render(request, "portal/request.html", _request_context(request, ticket, now=timezone.now()))


@require_GET
@requester_required
def request_attachment(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    """Download a file of the request (a checked raster image inline with `?inline=1`)."""
    user = portal_user(request)
    attachment = get_attachment_for_user(user, get_ticket_for_user(user, number), attachment_id)
    response = attachment_download_response(attachment, inline=request.GET.get("inline") == "1")
    response["Cache-Control"] = "private, max-age=3600"
    return response


Apply = Callable[[Ticket, Any, User, datetime], str]


def _act(request: HttpRequest, ticket: Ticket, form: forms.Form, apply: Apply) -> HttpResponse:
    """Run one action from a posted form: back to the page on success, the page with the error on refusal."""
    user, now = portal_user(request), timezone.now()
    status = 400
    if form.is_valid():
        try:
            with transaction.atomic():
                message = apply(ticket, form.cleaned_data, user, now)
        except ValidationFailed as error:
            for field, problems in error.errors.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
            status = error.status_code
        except ActionError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            status = error.status_code
        else:
            messages.success(request, message)
            return HttpResponseRedirect(reverse("portal:request", args=[ticket.number]))
    ticket.refresh_from_db()
    context = _request_context(request, ticket, now=now)
    context["stale"] = status == PreconditionFailed.status_code
    context["failed_form"] = form
    if isinstance(form, request_forms.ReplyForm):
        context["reply_form"] = form
    elif isinstance(form, request_forms.ResolutionForm):
        context["resolution_form"] = form
    return render(request, "portal/request.html", context, status=status)


def _reply(ticket: Ticket, data: dict[str, Any], user: User, now: datetime) -> str:
    """A public reply with files; every file is checked before anything is written."""
    files = data["attachments"]
    for upload in files:
        try:
            check_upload(upload)
        except ActionError as error:
            raise ActionError(f"{upload.name or '?'}: {error.message}", field="attachments") from None
    body, expected_version = data["body"].strip(), data["version"]
    if not body and not files:
        raise ActionError(_("Write a message or attach a file."), field="body")
    if body:
        actions.add_comment(
            ticket, actor=user, body=body, is_internal=False, now=now, expected_version=expected_version
        )
        expected_version = None  # the reply was checked against the page's version
    for upload in files:
        actions.add_attachment(
            ticket, actor=user, upload=upload, is_internal=False, now=now, expected_version=expected_version
        )
        expected_version = None
    return _("Your message was sent to the support team.")


@require_POST
@requester_required
def request_reply(request: HttpRequest, number: str) -> HttpResponse:
    ticket = get_ticket_for_user(portal_user(request), number)
    return _act(request, ticket, request_forms.ReplyForm(request.POST, request.FILES), _reply)


def _resolution(ticket: Ticket, data: dict[str, Any], user: User, now: datetime) -> str:
    if data["outcome"] == "solved":
        target = _solved_target(actions.allowed_transitions(ticket, actor=user, now=now))
        if target is None:
            raise ActionError(_("This request is not waiting for your confirmation."), field="outcome")
        actions.change_status(ticket, to_status=target, actor=user, now=now, expected_version=data["version"])
        return _("Thank you for confirming.")
    actions.change_status(
        ticket,
        to_status=Status.IN_PROGRESS,
        actor=user,
        now=now,
        reason=data["reason"],
        expected_version=data["version"],
    )
    return _("The request is open again; the support team will continue.")


@require_POST
@requester_required
def request_resolution(request: HttpRequest, number: str) -> HttpResponse:
    """ "Yes, solved" or "Not solved" (with a reason) on a request the team marked solved."""
    ticket = get_ticket_for_user(portal_user(request), number)
    return _act(request, ticket, request_forms.ResolutionForm(request.POST), _resolution)


@require_POST
@requester_required
def authorization_decision(request: HttpRequest, number: str, authorization_id: int, decision: str) -> HttpResponse:
    """Grant (until a time no later than asked) or refuse a remote-assistance request, or revoke a grant."""
    forms_by_decision: dict[str, type[forms.Form]] = {
        "grant": request_forms.GrantForm,
        "refuse": request_forms.RefuseForm,
        "revoke": forms.Form,
    }
    if decision not in forms_by_decision:
        raise Http404("No such decision")
    user = portal_user(request)
    ticket = get_ticket_for_user(user, number)
    authorization = casework_queries.get_authorization_for_user(user, ticket, authorization_id)

    def apply(ticket: Ticket, data: dict[str, Any], actor: User, now: datetime) -> str:
        if decision == "grant":
            casework.grant_remote_assistance(authorization, actor=actor, now=now, ends_at=data["ends_at"])
            return _("Remote assistance allowed.")
        if decision == "refuse":
            casework.refuse_remote_assistance(authorization, actor=actor, now=now, reason=data["reason"])
            return _("Remote assistance refused.")
        casework.revoke_remote_assistance(authorization, actor=actor, now=now)
        return _("Remote assistance withdrawn.")

    form = forms_by_decision[decision](request.POST)
    return _act(request, ticket, form, apply)


@require_POST
@requester_required
def plan_decision(request: HttpRequest, number: str, plan_id: int, decision: str) -> HttpResponse:
    """Confirm a proposed solution plan or reject it with a reason."""
    if decision not in ("confirm", "reject"):
        raise Http404("No such decision")
    user = portal_user(request)
    ticket = get_ticket_for_user(user, number)
    plan = casework_queries.get_plan_for_user(user, ticket, plan_id)

    def apply(ticket: Ticket, data: dict[str, Any], actor: User, now: datetime) -> str:
        if decision == "confirm":
            casework.confirm_solution_plan(plan, actor=actor, now=now)
            return _("Plan confirmed.")
        casework.reject_solution_plan(plan, actor=actor, now=now, reason=data["reason"])
        return _("Plan rejected; the team will propose another.")

    form = request_forms.RejectPlanForm(request.POST) if decision == "reject" else forms.Form(request.POST)
    return _act(request, ticket, form, apply)
