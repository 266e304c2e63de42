"""Mail templates accept only their variables, a few filters and `if`; rendering leaves text as text."""

from __future__ import annotations

import pytest

from sopdesk.notifications.templating import render_text, template_errors


@pytest.mark.parametrize(
    "text",
    [
        "[{{ ticket_number }}] {{ ticket_title }}",
        "{% if message %}{{ message }}{% else %}—{% endif %}",
        "{{ ticket_title|truncatechars:30|upper }}",
        "{{ message|default:request_url }}",
        "{% comment %}for the team{% endcomment %}Hello {{ recipient_name }}",
        "{% if working_days == '3' and close_date %}soon{% endif %}",
    ],
)
def test_a_template_with_known_variables_filters_and_tags_is_accepted(text: str) -> None:
    assert template_errors(text) == []


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("{{ password }}", "Unknown variable “password”."),
        ("{{ ticket_title.upper }}", "Unknown variable “ticket_title.upper”."),
        ("{{ message|default:settings.SECRET_KEY }}", "Unknown variable “settings.SECRET_KEY”."),
        ("{% if user %}x{% endif %}", "Unknown variable “user”."),
        ("{% debug %}", "The tag “debug” is not available in mail templates."),
        ("{% load static %}", "The tag “load” is not available in mail templates."),
        ('{% include "admin/base.html" %}', "The tag “include” is not available in mail templates."),
        ("{% for c in ticket_title %}{{ c }}{% endfor %}", "The tag “for” is not available in mail templates."),
        ("{{ ticket_title|pprint }}", "The filter “pprint” is not available in mail templates."),
        ("{% if message %}unclosed", "Unclosed tag on line 1: 'if'. Looking for one of: elif, else, endif."),
    ],
)
def test_anything_else_is_refused_with_a_reason(text: str, error: str) -> None:
    assert error in template_errors(text)


def test_values_are_inserted_as_plain_text_and_never_read_as_template_code() -> None:
    hostile = "<script>alert(1)</script> & {{ request_url }} {% debug %}"
    assert render_text(
        "[{{ ticket_number }}] {{ ticket_title }}", {"ticket_number": "TS-1", "ticket_title": hostile}
    ) == (f"[TS-1] {hostile}")


def test_a_variable_without_a_value_renders_empty() -> None:
    assert render_text("a{{ message }}b", {}) == "ab"
