"""Admin forms for SLA settings; they run the same checks as the actions in `sopdesk.sla.config`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext as _

from sopdesk.sla.config import (
    escalation_contact_choices,
    rule_does_something,
    rule_without_effect_message,
    schedule_problems,
)
from sopdesk.sla.models import CalendarDate, EscalationRule, WorkingInterval


class WorkingIntervalForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = WorkingInterval
        fields = ["weekday", "starts_at", "ends_at"]
        widgets = {
            "starts_at": forms.TimeInput(format="%H:%M"),
            "ends_at": forms.TimeInput(format="%H:%M"),
        }

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        # WorkingInterval.clean() compares with the rows in the database, which this very submission
        # may be changing or deleting; the formset checks the schedule as submitted instead. Without
        # a calendar the model skips its check; WorkingIntervalFormSet.clean() puts the calendar back.
        self.stashed_calendar_id = self.instance.calendar_id
        cleaned.pop("calendar", None)
        self.instance.calendar_id = None
        return cleaned


class CalendarDateForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CalendarDate
        fields = ["date", "kind", "name", "works_like"]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        # Inline forms skip the (calendar, date) constraint because the calendar is the inline's parent.
        day, calendar_id = cleaned.get("date"), self.instance.calendar_id
        if day is not None and calendar_id is not None:
            taken = CalendarDate.objects.filter(calendar_id=calendar_id, date=day).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("date", _("The calendar already has an entry for this date."))
        return cleaned


def _is_deleted(formset: BaseInlineFormSet, form: forms.Form) -> bool:  # type: ignore[type-arg]
    return bool(formset.can_delete and formset._should_delete_form(form))  # type: ignore[attr-defined]


class WorkingIntervalFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """Check the weekly schedule as a whole, as it will be after this save."""

    def clean(self) -> None:
        super().clean()
        kept: list[forms.ModelForm] = []  # type: ignore[type-arg]
        for form in self.forms:
            if hasattr(form, "stashed_calendar_id"):
                form.instance.calendar_id = form.stashed_calendar_id
            if not form.is_valid() or (not form.has_changed() and form.instance.pk is None):
                continue
            if _is_deleted(self, form):
                continue
            kept.append(form)
        rows = [(f.cleaned_data["weekday"], f.cleaned_data["starts_at"], f.cleaned_data["ends_at"]) for f in kept]
        for problem in schedule_problems(rows):
            kept[problem.index].add_error(problem.field, problem.message)


class EscalationRuleForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = EscalationRule
        fields = [
            "metric",
            "offset_minutes",
            "notify_team_lead",
            "contacts",
            "reassign_to_team",
            "raise_priority",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "contacts" in self.fields:
            contacts = self.fields["contacts"]
            contacts.queryset = escalation_contact_choices()  # type: ignore[attr-defined]
            contacts.help_text = _("Active staff only; requesters cannot be escalation contacts.")
        if "reassign_to_team" in self.fields:
            self.fields["reassign_to_team"].queryset = (  # type: ignore[attr-defined]
                self.fields["reassign_to_team"].queryset.filter(is_active=True)  # type: ignore[attr-defined]
            )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if not rule_does_something(
            notify_team_lead=bool(cleaned.get("notify_team_lead")),
            has_contacts=bool(cleaned.get("contacts")),
            reassigns=cleaned.get("reassign_to_team") is not None,
            raises_priority=bool(cleaned.get("raise_priority")),
        ):
            raise forms.ValidationError(rule_without_effect_message())
        return cleaned
