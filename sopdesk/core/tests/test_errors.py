"""Domain errors carry the field they concern and the HTTP status the edge should answer with."""

from __future__ import annotations

from sopdesk.core.errors import ActionError, PermissionRefused, TransitionRefused


def test_an_action_error_names_its_field_and_code() -> None:
    error = ActionError("Title is empty.", field="title", code="required")
    assert (error.message, error.field, error.code, error.status_code) == ("Title is empty.", "title", "required", 422)
    assert str(error) == "Title is empty."


def test_refused_transitions_are_conflicts_and_refused_permissions_are_forbidden() -> None:
    assert TransitionRefused("no", field="to_status").status_code == 409
    assert PermissionRefused("no").status_code == 403
    assert isinstance(TransitionRefused("no"), ActionError)
    assert isinstance(PermissionRefused("no"), ActionError)
