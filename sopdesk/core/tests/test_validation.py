"""Field-level validation of model instances before an action writes them."""

from __future__ import annotations

import pytest

from sopdesk.core.validation import ValidationFailed, validate_instance
from sopdesk.tickets.models import TITLE_MAX_LENGTH, Ticket

pytestmark = pytest.mark.django_db


def test_only_the_named_fields_are_validated() -> None:
    ticket = Ticket(title="ok", impact="bogus")
    validate_instance(ticket, fields=["title"])
    with pytest.raises(ValidationFailed) as excinfo:
        validate_instance(ticket, fields=["title", "impact"])
    assert set(excinfo.value.errors) == {"impact"}


def test_every_offending_field_is_reported_and_the_first_is_named() -> None:
    ticket = Ticket(title="", urgency="whenever", channel="carrier-pigeon")
    with pytest.raises(ValidationFailed) as excinfo:
        validate_instance(ticket, fields=["title", "urgency", "channel"])
    assert set(excinfo.value.errors) == {"title", "urgency", "channel"}
    assert excinfo.value.field in {"title", "urgency", "channel"}
    assert excinfo.value.status_code == 422


def test_control_characters_are_reported_against_their_field() -> None:
    ticket = Ticket(title="Printer\x00down", description="fine")
    with pytest.raises(ValidationFailed) as excinfo:
        validate_instance(ticket, fields=["title", "description"])
    assert list(excinfo.value.errors) == ["title"]
    assert "control, invisible or direction-changing characters" in excinfo.value.errors["title"][0]


def test_an_over_long_value_is_reported_with_the_length_rule() -> None:
    ticket = Ticket(title="x" * (TITLE_MAX_LENGTH + 1))
    with pytest.raises(ValidationFailed) as excinfo:
        validate_instance(ticket, fields=["title"])
    assert str(TITLE_MAX_LENGTH) in excinfo.value.errors["title"][0]


def test_the_message_lists_each_field_with_its_messages() -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        validate_instance(Ticket(title="", impact="x"), fields=["title", "impact"])
    assert "title:" in excinfo.value.message
    assert "impact:" in excinfo.value.message


def test_markup_is_valid_plain_text_and_kept_as_typed() -> None:
    ticket = Ticket(title="<script>alert(1)</script>")
    validate_instance(ticket, fields=["title"])  # raises ValidationFailed when refused
    assert ticket.title == "<script>alert(1)</script>"  # escaped where shown, never rewritten


@pytest.mark.parametrize("value", ["invoice\u202efdp.exe", "zero\u200bwidth", "two\nlines", "tab\there"])
def test_single_line_fields_refuse_invisible_direction_changing_and_line_breaking_characters(value: str) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        validate_instance(Ticket(title=value, contact_name=value), fields=["title", "contact_name"])
    assert set(excinfo.value.errors) == {"title", "contact_name"}
    assert "direction-changing" in excinfo.value.errors["title"][0]


def test_multi_line_text_keeps_line_breaks_and_joiners() -> None:
    text = "line 1\nline 2\tand 👨\u200d👩\u200d👧"
    ticket = Ticket(title="ok", description=text)
    validate_instance(ticket, fields=["description"])  # raises ValidationFailed when refused
    assert ticket.description == text
