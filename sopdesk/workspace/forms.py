"""Forms of the workspace: they parse and bound the input; the ticket actions decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sopdesk.accounts.models import Team
from sopdesk.casework.choices import Language, VerificationOutcome
from sopdesk.casework.models import CANNED_BODY_MAX_LENGTH
from sopdesk.collaboration.choices import WayOfWorking
from sopdesk.sla.choices import Metric
from sopdesk.sla.models import OVERDUE_REASON_MAX_LENGTH
from sopdesk.tickets.actions import DETAIL_FIELDS
from sopdesk.tickets.choices import Priority, Status
from sopdesk.tickets.forms import MultipleFileField, VersionedForm
from sopdesk.tickets.models import TEXT_MAX_LENGTH, Category, Ticket

MAX_BULK_TICKETS = 100


class CommentForm(VersionedForm):
    body = forms.CharField(label=_("Message"), max_length=TEXT_MAX_LENGTH, strip=True, required=False)
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    internal = forms.BooleanField(label=_("Internal note"), required=False)
    then_status = forms.ChoiceField(label=_("and set status to"), choices=[("", "—"), *Status.choices], required=False)


class StatusForm(VersionedForm):
    to_status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)
    closure_problem = forms.CharField(label=_("Problem"), max_length=TEXT_MAX_LENGTH, required=False)
    closure_diagnosis = forms.CharField(label=_("Diagnosis"), max_length=TEXT_MAX_LENGTH, required=False)
    closure_solution = forms.CharField(label=_("Solution"), max_length=TEXT_MAX_LENGTH, required=False)
    closure_effect = forms.CharField(label=_("Effect"), max_length=TEXT_MAX_LENGTH, required=False)
    closure_recommendations = forms.CharField(label=_("Recommendations"), max_length=TEXT_MAX_LENGTH, required=False)


class AssignForm(VersionedForm):
    assignee = forms.CharField(label=_("Assignee"), max_length=150, required=False)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)
    cosigner = forms.CharField(label=_("Co-signer"), max_length=150, required=False)


class TakeForm(VersionedForm):
    cosigner = forms.CharField(label=_("Co-signer"), max_length=150, required=False)


class EscalateForm(VersionedForm):
    team = forms.CharField(label=_("Team of the next tier"), max_length=50, required=False)
    reason = forms.CharField(label=_("Why the next tier is needed"), max_length=2000, widget=forms.Textarea)


class PriorityForm(VersionedForm):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    reason = forms.CharField(label=_("Reason"), max_length=500)


class OverdueReasonForm(VersionedForm):
    metric = forms.ChoiceField(choices=Metric.choices, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Why is it overdue?"), max_length=OVERDUE_REASON_MAX_LENGTH, widget=forms.Textarea)


class TagsForm(VersionedForm):
    tags = forms.CharField(label=_("Tags"), max_length=500, help_text=_("Separate tags with commas."))

    def names(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["tags"].replace("，", ",").split(",") if name.strip()]


class BulkForm(forms.Form):
    OPERATIONS = [
        ("take", _("Assign to me")),
        ("assign", _("Assign to")),
        ("status", _("Change status")),
        ("tag", _("Add a tag")),
    ]
    tickets = forms.MultipleChoiceField(label=_("Tickets"))  # choices: the numbers on the page, set per request
    operation = forms.ChoiceField(label=_("Action"), choices=OPERATIONS)
    assignee = forms.CharField(label=_("Assignee"), max_length=150, required=False)
    to_status = forms.ChoiceField(label=_("New status"), choices=[("", "—"), *Status.choices], required=False)
    tag = forms.CharField(label=_("Tag"), max_length=50, required=False)
    next = forms.CharField(max_length=2000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Any number-shaped value is accepted here; each ticket is then looked up through visibility.
        numbers = self._numbers()
        self.fields["tickets"].choices = [  # type: ignore[attr-defined]
            (n, n) for n in numbers[:MAX_BULK_TICKETS] if isinstance(n, str) and len(n) <= 32
        ]

    def _numbers(self) -> list[str]:
        getlist = getattr(self.data, "getlist", None)
        return list(getlist("tickets")) if getlist is not None else []

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        operation = data.get("operation")
        if len(self._numbers()) > MAX_BULK_TICKETS:
            self.add_error("tickets", _("Select at most %(count)d tickets at once.") % {"count": MAX_BULK_TICKETS})
        if operation == "assign" and not data.get("assignee"):
            self.add_error("assignee", _("Choose whom to assign to."))
        if operation == "status" and not data.get("to_status"):
            self.add_error("to_status", _("Choose the new status."))
        if operation == "tag" and not (data.get("tag") or "").strip():
            self.add_error("tag", _("Name the tag."))
        return data


def _details_fields() -> dict[str, forms.Field]:
    fields = forms.fields_for_model(Ticket, fields=DETAIL_FIELDS)
    fields["category"] = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True).order_by("sort_order", "name"),
        required=False,
        to_field_name="code",
    )
    fields["occurred_at"].widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    for name in ("description", "steps_to_reproduce", "error_message", "attempted_measures"):
        fields[name].widget = forms.Textarea(attrs={"rows": 3})
    return fields


class DetailsForm(VersionedForm):
    """The standard template's fields (MISSION §1); the action validates and records the changes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(_details_fields())
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)

    def changes(self, ticket: Ticket) -> dict[str, Any]:
        """The fields whose value differs from the ticket's: only those go to the action."""
        result: dict[str, Any] = {}
        for name in (*DETAIL_FIELDS, "category"):
            value = self.cleaned_data.get(name)
            if value is None and name not in ("occurred_at", "category", "difficulty"):
                value = ""
            if getattr(ticket, name) != value:
                result[name] = value
        return result


_LOCAL_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class DiagnosisForm(VersionedForm):
    checked = forms.CharField(label=_("What was checked"), max_length=500)
    command = forms.CharField(label=_("Command or parameters"), max_length=TEXT_MAX_LENGTH, required=False)
    result = forms.CharField(label=_("Result"), max_length=TEXT_MAX_LENGTH)
    is_public = forms.BooleanField(label=_("Visible to the requester"), required=False)
    screenshots = MultipleFileField(label=_("Screenshots"), required=False)


class RemoteAssistanceForm(VersionedForm):
    scope = forms.CharField(label=_("What you need to do or access"), max_length=2000)
    method = forms.CharField(label=_("Tool or method"), max_length=200)
    ends_at = forms.DateTimeField(label=_("Until"), input_formats=["%Y-%m-%dT%H:%M"], widget=_LOCAL_DATETIME)


class PlanForm(VersionedForm):
    steps = forms.CharField(label=_("Steps"), max_length=TEXT_MAX_LENGTH)
    resources = forms.CharField(label=_("Resources"), max_length=TEXT_MAX_LENGTH, required=False)
    risks = forms.CharField(label=_("Risks"), max_length=TEXT_MAX_LENGTH, required=False)
    rollback_plan = forms.CharField(label=_("Rollback plan"), max_length=TEXT_MAX_LENGTH)
    scheduled_at = forms.DateTimeField(
        label=_("Scheduled for"), input_formats=["%Y-%m-%dT%H:%M"], widget=_LOCAL_DATETIME, required=False
    )


class VerificationForm(VersionedForm):
    verified = forms.CharField(label=_("What was verified"), max_length=500)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=VerificationOutcome.choices)
    notes = forms.CharField(label=_("Notes"), max_length=TEXT_MAX_LENGTH, required=False)
    is_public = forms.BooleanField(label=_("Visible to the requester"), required=False)


# Canned responses

PERSONAL_SCOPE = "personal"
CANNED_TITLE_MAX_LENGTH = 200


class CannedResponseForm(forms.Form):
    """A canned response's title, language and body, and on creation its scope ("personal" or a team code).

    Required fields, lengths and variables are checked by the canned-response actions; the
    form only bounds the input. Who may write for which team is the action's decision too.
    """

    title = forms.CharField(label=_("Title"), max_length=CANNED_TITLE_MAX_LENGTH, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    body = forms.CharField(
        label=_("Text"), max_length=CANNED_BODY_MAX_LENGTH, required=False, strip=False, widget=forms.Textarea
    )
    scope = forms.CharField(label=_("Who uses it"), max_length=100)

    def __init__(self, *args: Any, with_scope: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_scope:
            # The scope is set when a response is made (the update action does not change it).
            del self.fields["scope"]


class CannedFilterForm(forms.Form):
    """The list's filters: personal or team responses, language, a search term."""

    SCOPES = [("", _("All")), (PERSONAL_SCOPE, _("Personal")), ("team", _("Team"))]
    scope = forms.ChoiceField(label=_("Scope"), choices=SCOPES, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=[("", _("All")), *Language.choices], required=False)
    q = forms.CharField(label=_("Search"), max_length=100, required=False)


# Collaboration between teams


class CollaborationRequestForm(VersionedForm):
    """Ask another team for help on the ticket (the action checks the team and the deadline)."""

    to_team = forms.ChoiceField(label=_("Team to ask"))
    needed = forms.CharField(label=_("What is needed"), max_length=TEXT_MAX_LENGTH)
    deliverable = forms.CharField(label=_("Deliverable"), max_length=500)
    deadline_at = forms.DateTimeField(label=_("Deadline"), input_formats=["%Y-%m-%dT%H:%M"], widget=_LOCAL_DATETIME)
    way_of_working = forms.ChoiceField(label=_("Way of working"), choices=WayOfWorking.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = Team.objects.filter(is_active=True).order_by("name").values_list("code", "name")
        self.fields["to_team"].choices = list(teams)  # type: ignore[attr-defined]


class CollaborationStepForm(forms.Form):
    """The text of one step on a collaboration request: a note or a reason, as the step needs."""

    text = forms.CharField(label=_("Note"), max_length=TEXT_MAX_LENGTH, required=False)
    next = forms.CharField(max_length=500, required=False)
