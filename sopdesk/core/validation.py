"""Turn Django model validation into field-level action errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.translation import gettext as _

from sopdesk.core.errors import ActionError
from sopdesk.lib.text import has_forbidden_characters, has_forbidden_name_characters


class ValidationFailed(ActionError):
    """Several fields are invalid; `errors` maps field name to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        first_field = next(iter(errors), None)
        message = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
        super().__init__(message, field=first_field)
        self.errors = errors


def check_no_nulls(values: Mapping[str, Any], *, nullable: Iterable[str] = ()) -> None:
    """Refuse null for every field of `values` not in `nullable`, all of them in one ValidationFailed."""
    allowed = set(nullable)
    nulls = sorted(name for name, value in values.items() if value is None and name not in allowed)
    if nulls:
        raise ValidationFailed({name: [_("This field cannot be null.")] for name in nulls})


def validate_instance(instance: models.Model, *, fields: Iterable[str]) -> None:
    """Validate only `fields` of `instance` (lengths, choices, validators); raise ValidationFailed."""
    wanted = set(fields)
    errors: dict[str, list[str]] = {}
    for name in wanted:
        value = getattr(instance, name, None)
        if not isinstance(value, str):
            continue
        # A CharField holds a single-line name or title; a TextField holds text with line breaks.
        if _is_single_line(instance, name) and has_forbidden_name_characters(value):
            errors[name] = [_("Must be one line without control, invisible or direction-changing characters.")]
        elif has_forbidden_characters(value):
            errors[name] = [_("Must not contain control characters.")]
    exclude = {f.name for f in instance._meta.get_fields() if f.concrete} - wanted
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationFailed(errors)


def _is_single_line(instance: models.Model, name: str) -> bool:
    try:
        field = instance._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return isinstance(field, models.CharField)


class TextInputs:
    """Collect the checked, trimmed free-text inputs of one action and all their errors at once.

    `take` each input, then `check()`: one ValidationFailed names every field that was refused.
    """

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def take(self, field: str, value: str, *, required: bool, max_length: int, one_line: bool = False) -> str:
        text = value.strip()
        if required and not text:
            self.errors[field] = [_("This field is required.")]
        elif len(text) > max_length:
            self.errors[field] = [_("Must be at most %(max)d characters.") % {"max": max_length}]
        elif one_line and has_forbidden_name_characters(text):
            self.errors[field] = [_("Must be one line without control, invisible or direction-changing characters.")]
        elif has_forbidden_characters(text):
            self.errors[field] = [_("Must not contain control characters.")]
        return text

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
