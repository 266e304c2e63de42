"""Forms of the request page: they parse and bound the input; the ticket and casework actions decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sopdesk.search.service import MAX_QUERY_LENGTH
from sopdesk.tickets.forms import MultipleFileField, VersionedForm
from sopdesk.tickets.models import TEXT_MAX_LENGTH

REASON_MAX_LENGTH = 2000
LIST_FILTERS = (("open", _("Open")), ("closed", _("Closed")))
LIST_SCOPES = (("mine", _("Mine")), ("organization", _("My organisation's")))


class RequestListForm(forms.Form):
    state = forms.ChoiceField(choices=LIST_FILTERS, required=False)
    scope = forms.ChoiceField(choices=LIST_SCOPES, required=False)
    q = forms.CharField(label=_("Search my requests"), max_length=MAX_QUERY_LENGTH, required=False)
    cursor = forms.CharField(max_length=500, required=False)


class ReplyForm(VersionedForm):
    body = forms.CharField(label=_("Your message"), max_length=TEXT_MAX_LENGTH, required=False, widget=forms.Textarea)
    attachments = MultipleFileField(label=_("Files or screenshots"), required=False)


class GrantForm(forms.Form):
    ends_at = forms.DateTimeField(
        label=_("Allow until"),
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=REASON_MAX_LENGTH, required=False)


class RejectPlanForm(forms.Form):
    reason = forms.CharField(label=_("What is wrong with the plan?"), max_length=REASON_MAX_LENGTH)


class ResolutionForm(VersionedForm):
    OUTCOMES = (("solved", _("Yes, solved")), ("not_solved", _("Not solved")))
    outcome = forms.ChoiceField(choices=OUTCOMES)
    reason = forms.CharField(label=_("What is still wrong?"), max_length=REASON_MAX_LENGTH, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") == "not_solved" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Tell us what is still wrong, so the team can continue."))
        return data
