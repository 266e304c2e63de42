"""Admin forms for SLA settings: they read the input; the actions of `sopdesk.sla.config` check and write it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext as _

from sopdesk.sla.config import escalation_contact_choices
from sopdesk.sla.models import CalendarDate, EscalationRule, WorkingInterval


class WorkingIntervalForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = WorkingInterval
        fields = ["weekday", "starts_at", "ends_at"]
        widgets = {
            "starts_at": forms.TimeInput(format="%H:%M"),
            "ends_at": forms.TimeInput(format="%H:%M"),
        }


class CalendarDateForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CalendarDate
        fields = ["date", "kind", "name", "works_like"]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        # A new row for a date that has one already would silently replace it (the action replaces):
        # inline forms skip the (calendar, date) constraint because the calendar is the inline's parent.
        day, calendar_id = cleaned.get("date"), self.instance.calendar_id
        if day is not None and calendar_id is not None and day != self.initial.get("date"):
            taken = CalendarDate.objects.filter(calendar_id=calendar_id, date=day).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("date", _("The calendar already has an entry for this date."))
        return cleaned


def is_kept(formset: BaseInlineFormSet, form: forms.ModelForm) -> bool:  # type: ignore[type-arg]
    """Return True for an inline form whose row stays or is added: not marked for deletion, not an unused extra."""
    if formset.can_delete and formset._should_delete_form(form):  # type: ignore[attr-defined]
        return False
    return form.instance.pk is not None or form.has_changed()


def is_deleted(formset: BaseInlineFormSet, form: forms.ModelForm) -> bool:  # type: ignore[type-arg]
    """Return True for an inline form of a stored row that is marked for deletion."""
    return bool(formset.can_delete and formset._should_delete_form(form) and form.instance.pk is not None)  # type: ignore[attr-defined]


def mark_saved(formset: BaseInlineFormSet) -> None:  # type: ignore[type-arg]
    """Fill in what `formset.save()` would have, for the admin's history message; the actions did the writing."""
    formset.new_objects = [f.instance for f in formset.forms if is_kept(formset, f) and f.instance.pk is None]
    formset.changed_objects = [
        (f.instance, f.changed_data)
        for f in formset.forms
        if is_kept(formset, f) and f.instance.pk is not None and f.has_changed()
    ]
    formset.deleted_objects = [f.instance for f in formset.forms if is_deleted(formset, f)]


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
