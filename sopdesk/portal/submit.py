"""Asking for help: the two-step request form, the expected response preview and the confirmation."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sopdesk.accounts.models import User
from sopdesk.core.errors import ActionError
from sopdesk.core.validation import ValidationFailed
from sopdesk.portal.access import portal_user, requester_required
from sopdesk.portal.expectations import contact_ways, expectation
from sopdesk.portal.forms import RequestDetailsForm, RequestStartForm, SuggestionQueryForm, mark_invalid
from sopdesk.portal.help_centre import FROM_REQUEST_FORM
from sopdesk.portal.request_fields import extra_block, request_fields_for
from sopdesk.portal.suggestions import suggested_articles
from sopdesk.sla.queries import expected_clocks, sla_snapshot
from sopdesk.tickets.actions import TicketDraft, add_attachment, computed_priority, create_ticket
from sopdesk.tickets.attachments import check_upload
from sopdesk.tickets.choices import Channel, Impact, Urgency
from sopdesk.tickets.models import Category, Ticket
from sopdesk.tickets.notifications import acknowledgement_mail_withheld
from sopdesk.tickets.queries import get_ticket_for_user


def request_path(number: str) -> str:
    """Return the path of the portal's request page for `number`."""
    return reverse("portal:request", args=[number])


def _unsaved_ticket(user: User, *, category: Category | None, impact: str, urgency: str) -> Ticket:
    """Return the ticket a web submission by `user` would create, as far as priority and SLA matching go."""
    ticket = Ticket(
        requester=user,
        organization=user.organization,
        category=category,
        impact=impact,
        urgency=urgency,
        channel=Channel.WEB,
    )
    ticket.priority = computed_priority(ticket)
    return ticket


def _preview(user: User, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Return the template context of the expected-response preview for step-1 values (category required)."""
    category = data.get("category")
    if not isinstance(category, Category):
        return {"expected": None}
    ticket = _unsaved_ticket(user, category=category, impact=data["impact"], urgency=data["urgency"])
    return {"expected": expectation(expected_clocks(ticket, now=now))}


@requester_required
def expected_response(request: HttpRequest) -> HttpResponse:
    """The expected first response for the step-1 values in the query (HTMX fragment)."""
    params = request.GET
    category_id = params.get("category", "")
    category = Category.objects.filter(is_active=True, pk=int(category_id)).first() if category_id.isdigit() else None
    impact = params.get("impact") if params.get("impact") in Impact.values else Impact.SINGLE_USER
    urgency = params.get("urgency") if params.get("urgency") in Urgency.values else Urgency.MEDIUM
    context = _preview(
        portal_user(request), {"category": category, "impact": impact, "urgency": urgency}, timezone.now()
    )
    return render(request, "portal/submit_expected.html", context)


@require_http_methods(["GET", "POST"])
@requester_required
def article_suggestions(request: HttpRequest) -> HttpResponse:
    """Articles matching what is typed so far into title and description (HTMX fragment, debounced by the page).

    The page posts (a long description would not fit an address); GET answers the same.
    """
    form = SuggestionQueryForm(request.POST if request.method == "POST" else request.GET)
    hits = []
    if form.is_valid():
        data = form.cleaned_data
        hits = suggested_articles(portal_user(request), data["title"], data["description"])
    context = {"hits": hits, "from_marker": FROM_REQUEST_FORM}
    return render(request, "portal/_article_suggestions.html", context)


def _step(
    request: HttpRequest, start: RequestStartForm, details: RequestDetailsForm | None, status: int = 200
) -> HttpResponse:
    context: dict[str, Any] = {"start": start, "details": details, "active": "new", "expected": None}
    if start.is_bound and start.is_valid():
        context.update(_preview(portal_user(request), start.cleaned_data, timezone.now()))
        context["impact_label"] = Impact(start.cleaned_data["impact"]).label
        context["urgency_label"] = Urgency(start.cleaned_data["urgency"]).label
    mark_invalid(start)
    if details is not None:
        mark_invalid(details)
    return render(request, "portal/submit.html", context, status=status)


@requester_required
def new_request(request: HttpRequest) -> HttpResponse:
    """Step 1 (what, how many, how urgent), then step 2 (the category's fields, attachments), then create."""
    if request.method != "POST":
        return _step(request, RequestStartForm(), None)
    start = RequestStartForm(request.POST)
    if not start.is_valid() or request.POST.get("step") == "back":
        return _step(request, start, None, status=400 if start.errors else 200)
    specs = request_fields_for(start.cleaned_data["category"])
    if request.POST.get("step") != "submit":
        return _step(request, start, RequestDetailsForm(specs=specs))
    details = RequestDetailsForm(request.POST, request.FILES, specs=specs)
    if not details.is_valid():
        return _step(request, start, details, status=400)
    try:
        ticket = _submit(request, start, details)
    except ValidationFailed as error:
        for field, problems in error.errors.items():
            form = start if field in start.fields else details
            form.add_error(field if field in form.fields else None, " ".join(problems))
        return _step(request, start, details, status=400)
    except ActionError as error:
        form = start if error.field in start.fields else details
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _step(request, start, details, status=error.status_code)
    return redirect("portal:submitted", number=ticket.number)


def _submit(request: HttpRequest, start: RequestStartForm, details: RequestDetailsForm) -> Ticket:
    """Create the ticket with its attachments, all or nothing (the creation queues the acknowledgement mail)."""
    user, now = portal_user(request), timezone.now()
    files = details.cleaned_data["attachments"]
    for upload in files:  # every file is checked before anything is written
        try:
            check_upload(upload)
        except ActionError as error:
            raise ActionError(f"{upload.name or '?'}: {error.message}", field="attachments") from None
    description = start.cleaned_data["description"]
    block = extra_block(details.specs, details.extra_values())
    if block:
        heading = _("Further details")
        description = f"{description}\n\n{heading}:\n{block}"
    values = {
        "title": start.cleaned_data["title"],
        "description": description,
        "impact": start.cleaned_data["impact"],
        "urgency": start.cleaned_data["urgency"],
        "channel": Channel.WEB,
        **details.standard_values(),
    }
    draft = TicketDraft(details=values, category=start.cleaned_data["category"])
    withheld = contextlib.nullcontext() if settings.SOPDESK_PORTAL_ACKNOWLEDGEMENT else acknowledgement_mail_withheld()
    with transaction.atomic(), withheld:
        ticket = create_ticket(actor=user, requester=user, draft=draft, now=now)
        for upload in files:
            add_attachment(ticket, actor=user, upload=upload, is_internal=False, now=now)
    return ticket


@requester_required
def submitted(request: HttpRequest, number: str) -> HttpResponse:
    """The confirmation: number, expected response and resolution, service hours, contact ways."""
    ticket = get_ticket_for_user(portal_user(request), number)
    context = {
        "ticket": ticket,
        "expected": expectation(sla_snapshot(ticket, now=timezone.now())),
        "contacts": contact_ways(),
        "request_path": request_path(ticket.number),
        "active": "new",
    }
    return render(request, "portal/submit_done.html", context)
