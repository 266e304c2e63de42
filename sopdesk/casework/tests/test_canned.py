"""Canned-response templates: the variables, the checks at save time and the one-pass substitution."""

from __future__ import annotations

import pytest

from sopdesk.accounts.models import Team, User
from sopdesk.casework.canned import VARIABLES, check_template, render, substitute, template_errors
from sopdesk.core.errors import ActionError
from sopdesk.testing import factories

VALUES = {
    "requester_name": "Li Lei",
    "ticket_number": "TS-2026-000042",
    "ticket_title": "VPN drops",
    "agent_name": "Wang Fang",
    "team_name": "Service desk",
}


def test_every_variable_is_replaced_by_its_value() -> None:
    template = "{requester_name} {ticket_number} {ticket_title} {agent_name} {team_name}"

    assert substitute(template, VALUES) == "Li Lei TS-2026-000042 VPN drops Wang Fang Service desk"


def test_doubled_braces_are_literal_braces() -> None:
    assert substitute("{{ticket_number}} is {ticket_number}", VALUES) == "{ticket_number} is TS-2026-000042"


def test_values_are_inserted_once_and_never_read_as_templates() -> None:
    hostile = {**VALUES, "ticket_title": "{agent_name} <script>alert(1)</script>"}

    assert substitute("Re: {ticket_title}", hostile) == "Re: {agent_name} <script>alert(1)</script>"


def test_a_template_with_known_variables_and_chinese_text_is_accepted() -> None:
    assert template_errors("{requester_name}您好，工单 {ticket_number} 已受理。") == []


@pytest.mark.parametrize(
    "template",
    ["Hello {name}", "{ticket.requester.password}", "{ticket_number!r}", "{ticket_number:>10}", "{}", "{0}"],
)
def test_unknown_variables_attribute_access_and_format_specs_are_refused(template: str) -> None:
    with pytest.raises(ActionError) as refused:
        check_template(template)

    assert refused.value.field == "body"
    assert "Unknown variable" in refused.value.message


@pytest.mark.parametrize("template", ["Hello {requester_name", "Hello }", "a { b"])
def test_unmatched_braces_are_refused(template: str) -> None:
    with pytest.raises(ActionError, match="Unmatched brace"):
        check_template(template)


def test_the_error_lists_the_known_variables() -> None:
    (message,) = template_errors("{nmae}")

    assert all(f"{{{name}}}" in message for name in VARIABLES)


@pytest.mark.django_db
def test_render_fills_in_the_ticket_and_the_agent(requester: User, agent: User, service_desk: Team) -> None:
    ticket = factories.make_ticket(requester, title="Printer jams")

    text = render("{requester_name}: {ticket_number} {ticket_title} ({team_name}), {agent_name}", ticket, agent)

    assert text == f"{requester}: {ticket.number} Printer jams (Service Desk), {agent}"


@pytest.mark.django_db
def test_render_leaves_the_team_empty_for_a_ticket_without_one(requester: User, manager: User) -> None:
    ticket = factories.make_ticket(requester)  # no intake team exists

    assert render("[{team_name}] {agent_name}", ticket, manager) == f"[] {manager}"
