"""Phone calls in the workspace: the calls panel of a ticket page and the "log a call" page for a new ticket.

The forms only parse; `sopdesk.calls.actions` decides (who may log, which times are possible,
which requester a number belongs to), and its field errors are shown next to the fields.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from sopdesk.accounts.models import User
from sopdesk.calls import actions
from sopdesk.calls.choices import CallDirection, CallOutcome
from sopdesk.calls.queries import calls_of
from sopdesk.core.errors import ActionError
from sopdesk.core.http import client_address
from sopdesk.core.validation import ValidationFailed
from sopdesk.tickets.actions import record_ticket_view
from sopdesk.tickets.choices import AccessChannel
from sopdesk.tickets.models import TEXT_MAX_LENGTH, TITLE_MAX_LENGTH, Ticket
from sopdesk.tickets.queries import get_ticket_for_user
from sopdesk.workspace.views import staff_required

MAX_ANSWER_SECONDS = 3600
MAX_TALK_MINUTES = 12 * 60


class CallForm(forms.Form):
    """One call as an agent types it: when it rang, how long until answered, how long they talked."""

    caller_number = forms.CharField(label=gettext_lazy("Caller number"), max_length=40)
    caller_name = forms.CharField(label=gettext_lazy("Caller name"), max_length=150, required=False)
    direction = forms.ChoiceField(label=gettext_lazy("Direction"), choices=CallDirection.choices)
    ring_at = forms.DateTimeField(label=gettext_lazy("Rang at"))
    answer_seconds = forms.IntegerField(
        label=gettext_lazy("Seconds until answered"),
        min_value=0,
        max_value=MAX_ANSWER_SECONDS,
        required=False,
        help_text=gettext_lazy("Empty when the call was not answered."),
    )
    talk_minutes = forms.IntegerField(
        label=gettext_lazy("Talk time (minutes)"), min_value=0, max_value=MAX_TALK_MINUTES, required=False
    )
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=CallOutcome.choices)
    notes = forms.CharField(
        label=gettext_lazy("Notes"), max_length=TEXT_MAX_LENGTH, required=False, widget=forms.Textarea
    )

    # The ticket page holds other forms with fields of the same names (an outcome, notes).
    prefix = "call"
    # Where the action's fields are shown on this form.
    FIELD_OF = {"answered_at": "answer_seconds", "ended_at": "talk_minutes", "duration_seconds": "talk_minutes"}

    def details(self) -> actions.CallDetails:
        data = self.cleaned_data
        ring: datetime = data["ring_at"]
        answered = ring + timedelta(seconds=data["answer_seconds"]) if data["answer_seconds"] is not None else None
        ended = None
        if answered is not None and data["talk_minutes"] is not None:
            ended = answered + timedelta(minutes=data["talk_minutes"])
        return actions.CallDetails(
            caller_number=data["caller_number"],
            caller_name=data["caller_name"],
            direction=data["direction"],
            ring_at=ring,
            answered_at=answered,
            ended_at=ended,
            notes=data["notes"],
            outcome=data["outcome"],
        )

    def add_refusal(self, error: ActionError) -> None:
        """Show the action's refusal next to the fields it names."""
        items: list[tuple[str | None, str]] = (
            [(field, " ".join(problems)) for field, problems in error.errors.items()]
            if isinstance(error, ValidationFailed)
            else [(error.field, error.message)]
        )
        for field, message in items:
            name = self.FIELD_OF.get(field or "", field)
            self.add_error(name if name in self.fields else None, message)


class NewTicketCallForm(CallForm):
    title = forms.CharField(label=gettext_lazy("Ticket title"), max_length=TITLE_MAX_LENGTH)
    requester = forms.CharField(
        label=gettext_lazy("Requester (username)"),
        max_length=150,
        required=False,
        help_text=gettext_lazy("Empty: the requester whose phone number is the caller's."),
    )

    field_order = ["title", "requester", *CallForm.base_fields]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _initial() -> dict[str, Any]:
    return {
        "ring_at": timezone.localtime().replace(second=0, microsecond=0),
        "direction": CallDirection.INBOUND,
        "outcome": CallOutcome.ANSWERED_ON_CALL,
    }


def _panel_context(user: User, ticket: Ticket, form: CallForm | None = None) -> dict[str, Any]:
    may_log = (
        actions.may_log_calls(user) and Ticket.objects.writable_by(user, by_key=True).filter(pk=ticket.pk).exists()
    )
    return {
        "ticket": ticket,
        "calls": list(calls_of(ticket)),
        "form": form or CallForm(initial={**_initial(), "caller_number": ticket.contact_phone}),
        "may_log": may_log,
    }


@require_http_methods(["GET", "POST"])
@staff_required
def ticket_calls(request: HttpRequest, number: str) -> HttpResponse:
    """The calls of ticket `number` with the form to log one (the panel under HTMX, else a page)."""
    user = _user(request)
    ticket = get_ticket_for_user(user, number)
    if request.method == "GET":
        if request.headers.get("HX-Request") == "true":
            return render(request, "workspace/calls/_panel.html", _panel_context(user, ticket))
        now = timezone.now()
        record_ticket_view(ticket, user=user, via=AccessChannel.WEB, now=now, ip_address=client_address(request))
        return render(request, "workspace/calls/ticket_calls.html", _panel_context(user, ticket))
    form = CallForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                actions.log_call(ticket, actor=user, details=form.details(), now=timezone.now())
        except ActionError as error:
            form.add_refusal(error)
        else:
            messages.success(request, _("The call was logged."))
            return redirect("workspace:ticket", ticket.number)
    return render(request, "workspace/calls/ticket_calls.html", _panel_context(user, ticket, form), status=422)


@require_http_methods(["GET", "POST"])
@staff_required
def call_new(request: HttpRequest) -> HttpResponse:
    """Log a call that opens a new phone ticket."""
    user = _user(request)
    if not actions.may_log_calls(user):
        messages.error(request, _("Only staff may log phone calls."))
        return redirect("workspace:queue_default")
    if request.method == "GET":
        return render(request, "workspace/calls/new.html", {"form": NewTicketCallForm(initial=_initial())})
    form = NewTicketCallForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                requester = _requester(form.cleaned_data["requester"])
                call = actions.log_call_creating_ticket(
                    actor=user,
                    details=form.details(),
                    title=form.cleaned_data["title"],
                    requester=requester,
                    now=timezone.now(),
                )
        except ActionError as error:
            form.add_refusal(error)
        else:
            messages.success(request, _("The call was logged as ticket %(number)s.") % {"number": call.ticket.number})
            return redirect("workspace:ticket", call.ticket.number)
    return render(request, "workspace/calls/new.html", {"form": form}, status=422)


def _requester(username: str) -> User | None:
    if not username:
        return None
    requester = User.objects.filter(username=username, is_active=True).first()
    if requester is None:
        raise ActionError(_("No such requester."), field="requester")
    return requester
