"""Admin base classes: records that are never deleted, and pages whose saves go through actions."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.formsets import BaseFormSet
from django.http import HttpRequest, HttpResponse

from sopdesk.core.errors import ActionError
from sopdesk.core.validation import ValidationFailed


class NoDeleteAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Admin for records that are kept: no delete button, no bulk delete action."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(NoDeleteAdmin):
    """Admin for append-only records: view only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


FormErrors = dict[str, list[tuple[str | None, str]]]
"""Errors by form prefix ("" for the main form, an inline formset's or an inline form's prefix): (field, message)."""

_PATH = re.compile(r"(\w+)\[(\d+)\](?:\.(\w+))?")
_REFUSAL = "_sopdesk_action_refusal"


class AdminRefusal(Exception):
    """An action refused what an admin page submitted; `errors` places its messages on the page's forms."""

    def __init__(self, errors: FormErrors) -> None:
        super().__init__("; ".join(message for items in errors.values() for _field, message in items))
        self.errors = errors


def admin_refusal(
    error: ActionError, *, lists: Mapping[str, tuple[str, Sequence[str]]] | None = None, prefix: str = ""
) -> AdminRefusal:
    """Place an action's field errors on the admin forms that submitted the input.

    `lists` maps a list argument of the action (e.g. "working_hours") to its inline formset's prefix and
    the prefixes of the forms that made items 0, 1, …: `working_hours[2].ends_at` goes next to `ends_at`
    of the third of them, a bare `working_hours` above the formset. Other fields go to the form `prefix`.
    """
    lists = lists or {}
    items: list[tuple[str | None, str]] = (
        [(field, " ".join(messages)) for field, messages in error.errors.items()]
        if isinstance(error, ValidationFailed)
        else [(error.field, error.message)]
    )
    errors: FormErrors = {}
    for path, message in items:
        place: str = prefix
        field: str | None = path
        match = _PATH.match(path or "")
        if match is not None and match[1] in lists and int(match[2]) < len(lists[match[1]][1]):
            place, field = lists[match[1]][1][int(match[2])], match[3]
        elif path is not None and path in lists:
            place, field = lists[path][0], None
        errors.setdefault(place, []).append((field, message))
    return AdminRefusal(errors)


class ActionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Admin whose saves call actions: a refusal undoes the save and shows the page again with the errors.

    `save_model`/`save_related` raise AdminRefusal (see `admin_refusal`); the admin's transaction rolls
    everything back, and the submission is validated again with the action's messages next to the fields.
    """

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except AdminRefusal as refusal:
            setattr(request, _REFUSAL, refusal.errors)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        errors: FormErrors = getattr(request, _REFUSAL, {})
        return _form_with_errors(form, errors[""]) if errors.get("") else form

    def get_formsets_with_inlines(self, request: HttpRequest, obj: Any = None) -> Iterator[tuple[Any, Any]]:
        errors: FormErrors | None = getattr(request, _REFUSAL, None)
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            yield (_formset_with_errors(formset, errors) if errors else formset), inline


def _add_errors(form: forms.BaseForm, errors: Sequence[tuple[str | None, str]]) -> None:
    for field, message in errors:
        form.add_error(field if field in form.fields else None, message)


def _form_with_errors(form_class: type[forms.BaseForm], errors: Sequence[tuple[str | None, str]]) -> Any:
    def clean(self: forms.BaseForm) -> Any:
        cleaned = form_class.clean(self)
        _add_errors(self, errors)
        return cleaned

    return type(form_class.__name__, (form_class,), {"clean": clean})


def _formset_with_errors(formset_class: type[BaseFormSet], errors: FormErrors) -> Any:  # type: ignore[type-arg]
    def clean(self: BaseFormSet) -> None:  # type: ignore[type-arg]
        formset_class.clean(self)
        for form in self.forms:
            _add_errors(form, errors.get(form.prefix, []))
        own = errors.get(str(self.prefix))
        if own:
            raise ValidationError([message for _field, message in own])

    return type(formset_class.__name__, (formset_class,), {"clean": clean})
