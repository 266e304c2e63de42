"""Every state change of a ticket goes through these actions; each test drives one of them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from sopdesk.accounts.choices import RequesterType, Role
from sopdesk.accounts.models import Organization, Team, User
from sopdesk.core.errors import ActionError, PermissionRefused, TransitionRefused
from sopdesk.core.validation import ValidationFailed
from sopdesk.notifications.delivery import deliver_new
from sopdesk.testing import factories
from sopdesk.tickets.actions import (
    MAX_TAGS,
    ClosureSummary,
    TicketDraft,
    add_attachment,
    add_comment,
    assign_ticket,
    change_status,
    create_ticket,
    edit_ticket_details,
    override_priority,
    record_ticket_view,
)
from sopdesk.tickets.choices import AccessChannel, EventKind, Status
from sopdesk.tickets.models import (
    TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Attachment,
    Category,
    PriorityRule,
    Ticket,
    TicketAccessLog,
    TicketEvent,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def summary(**overrides: str) -> ClosureSummary:
    values = {
        "problem": "Printer prints blank pages.",
        "diagnosis": "Toner cartridge seal not removed.",
        "solution": "Removed the seal and printed a test page.",
    }
    return ClosureSummary(**{**values, **overrides})


def create(requester: User, *, actor: User | None = None, now: datetime = NOW, **details: Any) -> Ticket:
    details.setdefault("title", "VPN drops every ten minutes")
    category = details.pop("category", None)
    tags = details.pop("tags", [])
    draft = TicketDraft(details=details, category=category, tags=tags)
    return create_ticket(actor=actor or requester, requester=requester, draft=draft, now=now)


def kinds(ticket: Ticket) -> list[str]:
    return list(ticket.events.order_by("created_at", "id").values_list("kind", flat=True))


@pytest.fixture
def ticket(requester: User, service_desk: Team) -> Ticket:
    return create(requester)


@pytest.fixture
def assigned(ticket: Ticket, agent: User, team_lead: User) -> Ticket:
    assign_ticket(ticket, team=None, assignee=agent, actor=team_lead, now=NOW)
    return ticket


@pytest.fixture
def in_progress(assigned: Ticket, agent: User) -> Ticket:
    change_status(assigned, to_status="in_progress", actor=agent, now=NOW)
    return assigned


@pytest.fixture
def resolved(in_progress: Ticket, agent: User) -> Ticket:
    change_status(in_progress, to_status="resolved", actor=agent, now=NOW, closure=summary())
    return in_progress


@pytest.fixture
def closed(resolved: Ticket, requester: User) -> Ticket:
    change_status(resolved, to_status="closed", actor=requester, now=NOW)
    return resolved


@pytest.fixture
def vip_requester(db: None) -> User:
    vip = factories.make_organization("VIP Bank", level="vip")
    return factories.make_user("vip", organization=vip)


# --- create_ticket ------------------------------------------------------------------------


def test_a_new_ticket_is_numbered_prefix_year_and_six_digit_sequence(requester: User) -> None:
    first, second = create(requester), create(requester)
    assert re.fullmatch(r"TS-\d{4}-\d{6}", first.number)
    assert (first.number, second.number) == ("TS-2026-000001", "TS-2026-000002")


def test_a_new_ticket_is_new_unassigned_and_records_who_created_it(requester: User, service_desk: Team) -> None:
    ticket = create(requester)
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert ticket.assignee is None
    assert ticket.created_by == requester
    assert ticket.created_at == ticket.updated_at == NOW
    assert ticket.first_responded_at is None
    assert ticket.reopened_count == 0


def test_a_new_ticket_lands_in_the_intake_team(requester: User, service_desk: Team, second_line: Team) -> None:
    assert create(requester).team == service_desk


def test_the_category_default_team_wins_over_the_intake_team(
    requester: User, service_desk: Team, second_line: Team
) -> None:
    vpn = Category.objects.get(code="network-vpn")
    vpn.default_team = second_line
    vpn.save()
    ticket = create(requester, category=vpn)
    assert ticket.team == second_line
    assert ticket.category == vpn


def test_an_inactive_intake_team_is_skipped(requester: User) -> None:
    retired = factories.make_team("retired-desk", is_intake=True)
    retired.is_active = False
    retired.save(update_fields=["is_active"])
    assert create(requester).team is None


def test_contact_details_default_to_the_requester(requester: User) -> None:
    requester.phone = "+86 21 5555 0100"
    requester.display_name = "Li Lei"
    requester.save()
    ticket = create(requester)
    assert (ticket.contact_name, ticket.contact_email, ticket.contact_phone) == (
        "Li Lei",
        "requester@example.com",
        "+86 21 5555 0100",
    )


def test_given_contact_details_are_kept(requester: User) -> None:
    ticket = create(requester, contact_name="Han Meimei", contact_email="han@example.com", contact_phone="10086")
    assert (ticket.contact_name, ticket.contact_email, ticket.contact_phone) == (
        "Han Meimei",
        "han@example.com",
        "10086",
    )


def test_organisation_and_requester_type_are_taken_from_the_requester(requester: User, org_a: Organization) -> None:
    ticket = create(requester)
    assert ticket.organization == org_a
    assert ticket.requester_type == RequesterType.CUSTOMER


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [("single_user", "low", "P4"), ("department", "high", "P2"), ("organization", "critical", "P1")],
)
def test_the_priority_is_computed_from_impact_and_urgency(
    requester: User, impact: str, urgency: str, priority: str
) -> None:
    assert create(requester, impact=impact, urgency=urgency).priority == priority


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [("single_user", "low", "P3"), ("department", "high", "P1"), ("organization", "critical", "P1")],
)
def test_a_vip_customer_gets_one_level_higher_capped_at_p1(
    vip_requester: User, impact: str, urgency: str, priority: str
) -> None:
    assert create(vip_requester, impact=impact, urgency=urgency).priority == priority


def test_a_requester_without_an_organisation_gets_the_plain_matrix(db: None) -> None:
    loner = factories.make_user("loner")
    assert create(loner, impact="department", urgency="high").priority == "P2"


def test_an_admin_edited_matrix_cell_takes_effect_for_new_tickets(requester: User) -> None:
    rule = PriorityRule.objects.get(impact="single_user", urgency="low")
    rule.priority = "P2"
    rule.save(update_fields=["priority"])  # as the admin saves it
    assert create(requester, impact="single_user", urgency="low").priority == "P2"
    assert create(requester, impact="single_user", urgency="medium").priority == "P4"


def test_tags_are_stored_trimmed_and_deduplicated(requester: User) -> None:
    ticket = create(requester, tags=[" vpn ", "vpn", "远程办公", "", "  "])
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["vpn", "远程办公"]


def test_too_many_tags_are_refused_and_nothing_is_created(requester: User) -> None:
    with pytest.raises(ActionError) as excinfo:
        create(requester, tags=[f"tag-{n}" for n in range(MAX_TAGS + 1)])
    assert excinfo.value.field == "tags"
    assert not Ticket.objects.exists()
    # The refused creation did not use up a number.
    assert create(requester).number == "TS-2026-000001"


def test_tags_with_control_characters_are_refused(requester: User) -> None:
    with pytest.raises(ActionError) as excinfo:
        create(requester, tags=["ok", "bad\x00tag"])
    assert excinfo.value.field == "tags"


def test_creation_writes_one_created_event(requester: User) -> None:
    ticket = create(requester)
    event = ticket.events.get()
    assert event.kind == EventKind.CREATED
    assert event.actor == requester
    assert event.created_at == NOW
    assert event.data == {"channel": "web", "priority": ticket.priority, "on_behalf": False}


def test_staff_create_tickets_on_behalf_of_a_requester(requester: User, agent: User) -> None:
    ticket = create(requester, actor=agent, channel="phone", difficulty=2)
    assert ticket.requester == requester
    assert ticket.created_by == agent
    assert ticket.difficulty == 2
    assert ticket.events.get().data["on_behalf"] is True


def test_a_requester_cannot_create_a_ticket_for_someone_else(requester: User, outsider: User) -> None:
    with pytest.raises(PermissionRefused) as excinfo:
        create(outsider, actor=requester)
    assert excinfo.value.field == "requester"


def test_a_requester_cannot_set_the_difficulty(requester: User) -> None:
    with pytest.raises(PermissionRefused) as excinfo:
        create(requester, difficulty=4)
    assert excinfo.value.field == "difficulty"


def test_tickets_cannot_be_created_for_an_inactive_requester(requester: User, agent: User) -> None:
    requester.is_active = False
    requester.save()
    with pytest.raises(ActionError) as excinfo:
        create(requester, actor=agent)
    assert excinfo.value.field == "requester"


def test_an_inactive_category_is_refused(requester: User) -> None:
    Category.objects.filter(code="cloud").update(is_active=False)
    with pytest.raises(ActionError) as excinfo:
        create(requester, category=Category.objects.get(code="cloud"))
    assert excinfo.value.field == "category"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "   "),
        ("title", "x" * (TITLE_MAX_LENGTH + 1)),
        ("title", "Printer\x00down"),
        ("title", "bell\x07"),
        ("description", "x" * (TEXT_MAX_LENGTH + 1)),
        ("description", "NUL \x00 in the middle"),
        ("error_message", "\x1b[31mred\x1b[0m"),
        ("impact", "everyone"),
        ("urgency", "yesterday"),
        ("channel", "carrier_pigeon"),
        ("ticket_type", "complaint"),
        ("frequency", "sometimes"),
        ("difficulty", 5),
        ("contact_email", "not an address"),
        ("business_module", "m" * 201),
    ],
)
def test_invalid_input_is_refused_with_the_field_named(agent: User, requester: User, field: str, value: Any) -> None:
    with pytest.raises(ActionError) as excinfo:
        create(requester, actor=agent, **{field: value})
    assert excinfo.value.field == field
    assert not Ticket.objects.exists()


def test_a_title_of_exactly_the_maximum_length_is_accepted(requester: User) -> None:
    assert len(create(requester, title="x" * TITLE_MAX_LENGTH).title) == TITLE_MAX_LENGTH


def test_surrounding_whitespace_is_trimmed_from_the_title(requester: User) -> None:
    assert create(requester, title="  VPN down \n").title == "VPN down"


@pytest.mark.parametrize("field", ["number", "status", "priority", "assignee", "team", "created_by", "closed_at"])
def test_fields_outside_the_template_are_refused_by_name(requester: User, agent: User, field: str) -> None:
    with pytest.raises(ActionError) as excinfo:
        create(requester, actor=agent, **dict[str, Any]({field: "P1"}))
    assert excinfo.value.field == field


def test_markup_in_every_text_field_is_stored_verbatim_as_text(requester: User) -> None:
    text_fields = [
        "title",
        "description",
        "contact_name",
        "contact_phone",
        "steps_to_reproduce",
        "error_message",
        "attempted_measures",
        "business_module",
        "device_model",
        "software_version",
        "operating_system",
        "network_environment",
    ]
    values = {name: SCRIPT[:40] if name == "contact_phone" else SCRIPT for name in text_fields}
    ticket = create(requester, tags=["<b>bold</b>"], **dict[str, Any](values))
    ticket.refresh_from_db()
    for name in text_fields:
        assert getattr(ticket, name) == values[name], name
    assert list(ticket.tags.values_list("name", flat=True)) == ["<b>bold</b>"]


def test_multilingual_text_and_sql_lookalikes_are_just_text(requester: User) -> None:
    ticket = create(requester, title="打印机卡纸'; DROP TABLE tickets_ticket; --", description="🖨️ 第三层")
    ticket.refresh_from_db()
    assert ticket.title == "打印机卡纸'; DROP TABLE tickets_ticket; --"
    assert Ticket.objects.count() == 1


def test_creation_uses_the_given_time_in_the_local_year(requester: User) -> None:
    # 16:30 UTC on New Year's Eve is already 2027 in the service's time zone (Asia/Shanghai).
    ticket = create(requester, now=datetime(2026, 12, 31, 16, 30, tzinfo=UTC))
    assert ticket.number.startswith("TS-2027-")


# --- edit_ticket_details ------------------------------------------------------------------


def test_staff_edits_record_each_change_from_and_to(ticket: Ticket, agent: User) -> None:
    event = edit_ticket_details(
        ticket, actor=agent, changes={"title": "VPN drops hourly", "device_model": "ThinkPad X1"}, now=LATER
    )
    assert event is not None
    assert event.kind == EventKind.DETAILS_CHANGED
    assert event.actor == agent
    assert event.data["changes"] == {
        "title": {"from": "VPN drops every ten minutes", "to": "VPN drops hourly"},
        "device_model": {"from": "", "to": "ThinkPad X1"},
    }
    ticket.refresh_from_db()
    assert (ticket.title, ticket.device_model, ticket.updated_at) == ("VPN drops hourly", "ThinkPad X1", LATER)


def test_an_edit_that_changes_nothing_writes_no_event(ticket: Ticket, agent: User) -> None:
    assert edit_ticket_details(ticket, actor=agent, changes={"title": ticket.title}, now=LATER) is None
    assert kinds(ticket) == [EventKind.CREATED]
    ticket.refresh_from_db()
    assert ticket.updated_at == NOW


def test_changing_impact_or_urgency_recomputes_the_priority(ticket: Ticket, agent: User) -> None:
    assert ticket.priority == "P4"
    edit_ticket_details(ticket, actor=agent, changes={"impact": "organization", "urgency": "critical"}, now=LATER)
    ticket.refresh_from_db()
    assert ticket.priority == "P1"
    change = ticket.events.get(kind=EventKind.PRIORITY_CHANGED)
    assert change.data == {"from": "P4", "to": "P1", "is_override": False}
    assert change.is_internal


def test_a_change_that_keeps_the_priority_writes_no_priority_event(ticket: Ticket, agent: User) -> None:
    edit_ticket_details(ticket, actor=agent, changes={"urgency": "low"}, now=LATER)
    ticket.refresh_from_db()
    assert ticket.priority == "P4"
    assert not ticket.events.filter(kind=EventKind.PRIORITY_CHANGED).exists()


def test_an_overridden_priority_is_not_recomputed(ticket: Ticket, agent: User) -> None:
    override_priority(ticket, priority="P2", reason="CEO's laptop", actor=agent, now=NOW)
    edit_ticket_details(ticket, actor=agent, changes={"impact": "organization", "urgency": "critical"}, now=LATER)
    ticket.refresh_from_db()
    assert ticket.priority == "P2"
    assert ticket.events.filter(kind=EventKind.PRIORITY_CHANGED).count() == 1


def test_category_and_tag_edits_are_recorded(ticket: Ticket, agent: User) -> None:
    wifi = Category.objects.get(code="network-wifi")
    edit_ticket_details(ticket, actor=agent, changes={"category": wifi, "tags": ["wifi", "floor-3"]}, now=LATER)
    changes = ticket.events.get(kind=EventKind.DETAILS_CHANGED).data["changes"]
    assert changes == {"category": {"from": None, "to": wifi.pk}, "tags": {"from": [], "to": ["floor-3", "wifi"]}}
    ticket.refresh_from_db()
    assert ticket.category == wifi


def test_datetimes_are_recorded_in_iso_format(ticket: Ticket, agent: User) -> None:
    occurred = datetime(2026, 3, 1, 22, 15, tzinfo=UTC)
    edit_ticket_details(ticket, actor=agent, changes={"occurred_at": occurred}, now=LATER)
    change = ticket.events.get(kind=EventKind.DETAILS_CHANGED).data["changes"]["occurred_at"]
    assert change == {"from": None, "to": occurred.isoformat()}


def test_requesters_cannot_edit_details(ticket: Ticket, requester: User) -> None:
    with pytest.raises(PermissionRefused):
        edit_ticket_details(ticket, actor=requester, changes={"title": "Mine now"}, now=LATER)
    ticket.refresh_from_db()
    assert ticket.title == "VPN drops every ten minutes"


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", ""), ("title", "  "), ("impact", "galactic"), ("description", "\x00"), ("status", "closed")],
)
def test_an_invalid_edit_names_the_field_and_changes_nothing(
    ticket: Ticket, agent: User, field: str, value: Any
) -> None:
    with pytest.raises(ActionError) as excinfo:
        edit_ticket_details(ticket, actor=agent, changes={field: value}, now=LATER)
    assert excinfo.value.field == field
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.title, stored.impact, stored.status) == ("VPN drops every ten minutes", "single_user", "new")
    assert kinds(ticket) == [EventKind.CREATED]


def test_moving_to_an_inactive_category_is_refused(ticket: Ticket, agent: User) -> None:
    Category.objects.filter(code="security").update(is_active=False)
    with pytest.raises(ActionError) as excinfo:
        edit_ticket_details(ticket, actor=agent, changes={"category": Category.objects.get(code="security")}, now=LATER)
    assert excinfo.value.field == "category"


# --- override_priority --------------------------------------------------------------------


def test_staff_override_the_priority_with_a_recorded_reason(ticket: Ticket, agent: User) -> None:
    event = override_priority(ticket, priority="P1", reason="  Production line stopped  ", actor=agent, now=LATER)
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.priority_is_overridden, ticket.priority_override_reason) == (
        "P1",
        True,
        "Production line stopped",
    )
    assert event.kind == EventKind.PRIORITY_CHANGED
    assert event.body == "Production line stopped"
    assert event.data == {"from": "P4", "to": "P1", "is_override": True}
    assert event.is_internal


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_an_override_without_a_reason_is_refused(ticket: Ticket, agent: User, reason: str) -> None:
    with pytest.raises(ActionError) as excinfo:
        override_priority(ticket, priority="P1", reason=reason, actor=agent, now=LATER)
    assert excinfo.value.field == "reason"
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.priority_is_overridden) == ("P4", False)


def test_an_over_long_or_binary_reason_is_refused(ticket: Ticket, agent: User) -> None:
    for reason in ("r" * 501, "why\x00"):
        with pytest.raises(ActionError) as excinfo:
            override_priority(ticket, priority="P1", reason=reason, actor=agent, now=LATER)
        assert excinfo.value.field == "reason"


def test_requesters_cannot_override_the_priority(ticket: Ticket, requester: User) -> None:
    with pytest.raises(PermissionRefused) as excinfo:
        override_priority(ticket, priority="P1", reason="I am important", actor=requester, now=LATER)
    assert excinfo.value.field == "priority"
    ticket.refresh_from_db()
    assert ticket.priority == "P4"


@pytest.mark.parametrize("priority", ["P0", "P5", "p1", "urgent", ""])
def test_an_unknown_priority_is_refused(ticket: Ticket, agent: User, priority: str) -> None:
    with pytest.raises(ActionError) as excinfo:
        override_priority(ticket, priority=priority, reason="because", actor=agent, now=LATER)
    assert excinfo.value.field == "priority"


def test_overriding_to_the_current_priority_is_refused(ticket: Ticket, agent: User) -> None:
    with pytest.raises(ActionError) as excinfo:
        override_priority(ticket, priority="P4", reason="no change", actor=agent, now=LATER)
    assert excinfo.value.field == "priority"


# --- assign_ticket ------------------------------------------------------------------------


def test_assigning_a_team_member_moves_a_new_ticket_to_assigned(ticket: Ticket, agent: User, team_lead: User) -> None:
    event = assign_ticket(ticket, team=None, assignee=agent, actor=team_lead, now=LATER, note="Please call back.")
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status, ticket.updated_at) == (agent, Status.ASSIGNED, LATER)
    assert event.kind == EventKind.ASSIGNED
    assert event.is_internal
    assert event.body == "Please call back."
    assert event.data == {
        "team": {"from": ticket.team_id, "to": ticket.team_id},
        "assignee": {"from": None, "to": agent.pk},
    }
    status_event = ticket.events.get(kind=EventKind.STATUS_CHANGED)
    assert status_event.data == {"from": "new", "to": "assigned"}


def test_unassigning_moves_an_assigned_ticket_back_to_new(assigned: Ticket, team_lead: User) -> None:
    assign_ticket(assigned, team=None, assignee=None, actor=team_lead, now=LATER)
    assigned.refresh_from_db()
    assert (assigned.assignee, assigned.status) == (None, Status.NEW)
    last = assigned.events.filter(kind=EventKind.STATUS_CHANGED).last()
    assert last is not None
    assert last.data == {"from": "assigned", "to": "new"}


def test_reassigning_a_ticket_in_progress_keeps_its_status(
    in_progress: Ticket, team_lead: User, service_desk: Team
) -> None:
    colleague = factories.make_user("colleague", role=Role.AGENT, teams=[service_desk])
    assign_ticket(in_progress, team=None, assignee=colleague, actor=team_lead, now=LATER)
    in_progress.refresh_from_db()
    assert (in_progress.assignee, in_progress.status) == (colleague, Status.IN_PROGRESS)


def test_routing_to_another_team_and_one_of_its_engineers(
    ticket: Ticket, agent: User, engineer: User, second_line: Team, service_desk: Team
) -> None:
    event = assign_ticket(ticket, team=second_line, assignee=engineer, actor=agent, now=LATER)
    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (second_line, engineer)
    assert event.data["team"] == {"from": service_desk.pk, "to": second_line.pk}


def test_routing_to_a_team_without_an_assignee_leaves_the_ticket_new(
    ticket: Ticket, agent: User, second_line: Team
) -> None:
    assign_ticket(ticket, team=second_line, assignee=None, actor=agent, now=LATER)
    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee, ticket.status) == (second_line, None, Status.NEW)


def test_the_assignee_must_belong_to_the_ticket_team(ticket: Ticket, agent: User, engineer: User) -> None:
    with pytest.raises(ActionError) as excinfo:
        assign_ticket(ticket, team=None, assignee=engineer, actor=agent, now=LATER)
    assert excinfo.value.field == "assignee"
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_the_assignee_must_belong_to_the_new_team_when_rerouting(
    ticket: Ticket, agent: User, second_line: Team
) -> None:
    with pytest.raises(ActionError) as excinfo:
        assign_ticket(ticket, team=second_line, assignee=agent, actor=agent, now=LATER)
    assert excinfo.value.field == "assignee"


def test_a_requester_can_never_be_the_assignee(ticket: Ticket, agent: User, service_desk: Team) -> None:
    member = factories.make_user("customer-in-team", teams=[service_desk])
    with pytest.raises(ActionError) as excinfo:
        assign_ticket(ticket, team=None, assignee=member, actor=agent, now=LATER)
    assert excinfo.value.field == "assignee"


def test_an_inactive_agent_cannot_be_assigned(ticket: Ticket, agent: User, team_lead: User) -> None:
    agent.is_active = False
    agent.save()
    with pytest.raises(ActionError) as excinfo:
        assign_ticket(ticket, team=None, assignee=agent, actor=team_lead, now=LATER)
    assert excinfo.value.field == "assignee"


def test_an_inactive_team_is_refused(ticket: Ticket, agent: User, second_line: Team) -> None:
    Team.objects.filter(pk=second_line.pk).update(is_active=False)
    second_line.refresh_from_db()
    with pytest.raises(ActionError) as excinfo:
        assign_ticket(ticket, team=second_line, assignee=None, actor=agent, now=LATER)
    assert excinfo.value.field == "team"


def test_requesters_cannot_assign(ticket: Ticket, requester: User, agent: User) -> None:
    with pytest.raises(PermissionRefused) as excinfo:
        assign_ticket(ticket, team=None, assignee=agent, actor=requester, now=LATER)
    assert excinfo.value.field == "assignee"


def test_repeating_the_current_assignment_is_refused(assigned: Ticket, agent: User, team_lead: User) -> None:
    with pytest.raises(ActionError) as excinfo:
        assign_ticket(assigned, team=None, assignee=agent, actor=team_lead, now=LATER)
    assert excinfo.value.field == "assignee"


def test_resolved_tickets_cannot_be_reassigned(resolved: Ticket, team_lead: User) -> None:
    with pytest.raises(ActionError) as excinfo:
        assign_ticket(resolved, team=None, assignee=team_lead, actor=team_lead, now=LATER)
    assert excinfo.value.field == "assignee"


def test_a_binary_assignment_note_is_refused(ticket: Ticket, agent: User, team_lead: User) -> None:
    with pytest.raises(ActionError) as excinfo:
        assign_ticket(ticket, team=None, assignee=agent, actor=team_lead, now=LATER, note="\x00")
    assert excinfo.value.field == "note"


def test_the_assignee_is_emailed_after_the_transaction_commits(
    ticket: Ticket,
    agent: User,
    team_lead: User,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    deliver_new(now=LATER)  # the acknowledgement queued when the ticket was made
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assign_ticket(ticket, team=None, assignee=agent, actor=team_lead, now=LATER)
        assert mailoutbox == []  # nothing leaves before commit
    assert len(callbacks) == 1
    assert [message.to for message in mailoutbox] == [["agent@example.com"]]
    assert ticket.number in mailoutbox[0].subject


def test_assigning_oneself_sends_no_mail(
    ticket: Ticket,
    agent: User,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=LATER)
    assert callbacks == []
    assert mailoutbox == []


# --- change_status ------------------------------------------------------------------------


@pytest.mark.parametrize("to_status", ["closed", "pending_confirmation"])
def test_a_transition_outside_the_table_is_refused_naming_to_status(
    ticket: Ticket, agent: User, to_status: str
) -> None:
    with pytest.raises(TransitionRefused) as excinfo:
        change_status(ticket, to_status=to_status, actor=agent, now=LATER, closure=summary())
    assert excinfo.value.field == "to_status"
    assert excinfo.value.status_code == 409
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert kinds(ticket) == [EventKind.CREATED]


def test_moving_to_the_current_status_is_refused(ticket: Ticket, agent: User) -> None:
    with pytest.raises(TransitionRefused) as excinfo:
        change_status(ticket, to_status="new", actor=agent, now=LATER)
    assert excinfo.value.field == "to_status"


@pytest.mark.parametrize("to_status", ["archived", "", "NEW", "deleted"])
def test_an_unknown_status_is_refused_naming_to_status(ticket: Ticket, agent: User, to_status: str) -> None:
    with pytest.raises(ActionError) as excinfo:
        change_status(ticket, to_status=to_status, actor=agent, now=LATER)
    assert excinfo.value.field == "to_status"


def test_assigned_status_needs_an_assignee(ticket: Ticket, agent: User) -> None:
    with pytest.raises(TransitionRefused) as excinfo:
        change_status(ticket, to_status="assigned", actor=agent, now=LATER)
    assert excinfo.value.field == "to_status"


def test_a_status_change_records_from_to_and_reason(assigned: Ticket, agent: User) -> None:
    event = change_status(
        assigned, to_status="pending_customer", actor=agent, now=LATER, reason="Waiting for the log file."
    )
    assigned.refresh_from_db()
    assert (assigned.status, assigned.updated_at) == (Status.PENDING_CUSTOMER, LATER)
    assert event.kind == EventKind.STATUS_CHANGED
    assert event.data == {"from": "assigned", "to": "pending_customer"}
    assert event.body == "Waiting for the log file."
    assert not event.is_internal


def test_resolving_needs_a_closure_summary(in_progress: Ticket, agent: User) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        change_status(in_progress, to_status="resolved", actor=agent, now=LATER)
    assert excinfo.value.field == "closure"
    in_progress.refresh_from_db()
    assert in_progress.status == Status.IN_PROGRESS


def test_every_required_part_of_the_closure_summary_is_checked(in_progress: Ticket, agent: User) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        change_status(
            in_progress,
            to_status="resolved",
            actor=agent,
            now=LATER,
            closure=ClosureSummary(problem=" ", diagnosis="", solution="Rebooted"),
        )
    assert set(excinfo.value.errors) == {"closure.problem", "closure.diagnosis"}


def test_a_closure_summary_with_control_characters_is_refused(in_progress: Ticket, agent: User) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        change_status(in_progress, to_status="resolved", actor=agent, now=LATER, closure=summary(effect="\x00"))
    assert set(excinfo.value.errors) == {"closure.effect"}


def test_resolving_stores_the_summary_and_the_time(in_progress: Ticket, agent: User) -> None:
    change_status(
        in_progress,
        to_status="resolved",
        actor=agent,
        now=LATER,
        closure=summary(problem="  Blank pages  ", effect="Printing works", recommendations=SCRIPT),
    )
    in_progress.refresh_from_db()
    assert in_progress.status == Status.RESOLVED
    assert in_progress.resolved_at == LATER
    assert in_progress.closure_problem == "Blank pages"
    assert in_progress.closure_diagnosis == "Toner cartridge seal not removed."
    assert in_progress.closure_solution == "Removed the seal and printed a test page."
    assert in_progress.closure_effect == "Printing works"
    assert in_progress.closure_recommendations == SCRIPT
    assert in_progress.has_closure_summary


def test_staff_may_resolve_a_new_ticket_straight_away(ticket: Ticket, agent: User) -> None:
    change_status(ticket, to_status="resolved", actor=agent, now=LATER, closure=summary())
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_pending_confirmation_keeps_the_summary_for_the_requester_to_confirm(
    in_progress: Ticket, agent: User, requester: User
) -> None:
    change_status(in_progress, to_status="pending_confirmation", actor=agent, now=LATER, closure=summary())
    in_progress.refresh_from_db()
    assert in_progress.status == Status.PENDING_CONFIRMATION
    assert in_progress.has_closure_summary
    assert in_progress.resolved_at is None
    confirmed_at = LATER + timedelta(hours=1)
    change_status(in_progress, to_status="resolved", actor=requester, now=confirmed_at)
    confirmed = Ticket.objects.get(pk=in_progress.pk)
    assert (confirmed.status, confirmed.resolved_at) == (Status.RESOLVED, confirmed_at)
    assert confirmed.closure_solution == "Removed the seal and printed a test page."


def test_pending_confirmation_needs_a_summary_the_requester_can_confirm(in_progress: Ticket, agent: User) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        change_status(in_progress, to_status="pending_confirmation", actor=agent, now=LATER)
    assert excinfo.value.field == "closure"


def test_requesters_cannot_write_the_closure_summary(in_progress: Ticket, agent: User, requester: User) -> None:
    change_status(in_progress, to_status="pending_confirmation", actor=agent, now=LATER, closure=summary())
    with pytest.raises(PermissionRefused) as excinfo:
        change_status(
            in_progress, to_status="resolved", actor=requester, now=LATER, closure=summary(solution="Did nothing.")
        )
    assert excinfo.value.field == "closure"
    in_progress.refresh_from_db()
    assert in_progress.status == Status.PENDING_CONFIRMATION
    assert in_progress.closure_solution == "Removed the seal and printed a test page."


def test_a_rejected_fix_goes_back_to_work_without_counting_as_a_reopen(
    in_progress: Ticket, agent: User, requester: User
) -> None:
    change_status(in_progress, to_status="pending_confirmation", actor=agent, now=LATER, closure=summary())
    event = change_status(in_progress, to_status="in_progress", actor=requester, now=LATER, reason="Still blank.")
    in_progress.refresh_from_db()
    assert in_progress.status == Status.IN_PROGRESS
    assert in_progress.reopened_count == 0
    assert event.kind == EventKind.STATUS_CHANGED


def test_after_a_rejected_fix_resolving_needs_a_fresh_summary(
    in_progress: Ticket, agent: User, requester: User
) -> None:
    change_status(in_progress, to_status="pending_confirmation", actor=agent, now=LATER, closure=summary())
    change_status(in_progress, to_status="in_progress", actor=requester, now=LATER, reason="Still blank.")
    with pytest.raises(ValidationFailed):
        change_status(in_progress, to_status="resolved", actor=agent, now=LATER)
    change_status(
        in_progress, to_status="resolved", actor=agent, now=LATER, closure=summary(solution="Replaced the fuser.")
    )
    in_progress.refresh_from_db()
    assert in_progress.closure_solution == "Replaced the fuser."


@pytest.mark.parametrize(
    ("fixture", "to_status"),
    [
        ("ticket", "resolved"),
        ("in_progress", "resolved"),
        ("in_progress", "pending_customer"),
        ("assigned", "in_progress"),
    ],
)
def test_requesters_cannot_work_their_own_ticket(
    request: pytest.FixtureRequest, requester: User, fixture: str, to_status: str
) -> None:
    ticket: Ticket = request.getfixturevalue(fixture)
    before = ticket.status
    with pytest.raises(PermissionRefused) as excinfo:
        change_status(ticket, to_status=to_status, actor=requester, now=LATER, closure=summary())
    assert excinfo.value.field == "to_status"
    ticket.refresh_from_db()
    assert ticket.status == before


def test_closing_sets_closed_at(resolved: Ticket, agent: User) -> None:
    change_status(resolved, to_status="closed", actor=agent, now=LATER)
    resolved.refresh_from_db()
    assert (resolved.status, resolved.closed_at) == (Status.CLOSED, LATER)


def test_the_requester_may_close_their_resolved_ticket(resolved: Ticket, requester: User) -> None:
    change_status(resolved, to_status="closed", actor=requester, now=LATER)
    resolved.refresh_from_db()
    assert resolved.status == Status.CLOSED


@pytest.mark.parametrize("reason", ["", "   "])
def test_reopening_needs_a_reason(resolved: Ticket, requester: User, reason: str) -> None:
    with pytest.raises(ActionError) as excinfo:
        change_status(resolved, to_status="in_progress", actor=requester, now=LATER, reason=reason)
    assert excinfo.value.field == "reason"
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED


def test_a_binary_reason_is_refused(assigned: Ticket, agent: User) -> None:
    with pytest.raises(ActionError) as excinfo:
        change_status(assigned, to_status="in_progress", actor=agent, now=LATER, reason="\x00")
    assert excinfo.value.field == "reason"


def test_reopening_a_resolved_ticket_records_a_reopen(resolved: Ticket, requester: User) -> None:
    event = change_status(resolved, to_status="in_progress", actor=requester, now=LATER, reason="It came back.")
    resolved.refresh_from_db()
    assert (resolved.status, resolved.reopened_count, resolved.resolved_at) == (Status.IN_PROGRESS, 1, None)
    assert event.kind == EventKind.REOPENED
    assert event.body == "It came back."
    assert event.data == {"from": "resolved", "to": "in_progress", "reopened_count": 1}


def test_every_reopen_is_counted(resolved: Ticket, requester: User, agent: User) -> None:
    change_status(resolved, to_status="in_progress", actor=requester, now=LATER, reason="Again.")
    change_status(resolved, to_status="resolved", actor=agent, now=LATER, closure=summary())
    change_status(resolved, to_status="closed", actor=agent, now=LATER)
    change_status(resolved, to_status="in_progress", actor=agent, now=LATER, reason="And again.")
    resolved.refresh_from_db()
    assert resolved.reopened_count == 2
    assert resolved.closed_at is None
    assert resolved.events.filter(kind=EventKind.REOPENED).count() == 2


def test_a_closed_ticket_can_be_reopened_up_to_the_end_of_the_window(closed: Ticket, requester: User) -> None:
    last_moment = NOW + timedelta(days=django_settings.SOPDESK_REOPEN_WINDOW_DAYS)
    change_status(closed, to_status="in_progress", actor=requester, now=last_moment, reason="Broken again.")
    closed.refresh_from_db()
    assert (closed.status, closed.reopened_count, closed.closed_at) == (Status.IN_PROGRESS, 1, None)


def test_a_closed_ticket_cannot_be_reopened_after_the_window(closed: Ticket, requester: User) -> None:
    too_late = NOW + timedelta(days=django_settings.SOPDESK_REOPEN_WINDOW_DAYS, seconds=1)
    with pytest.raises(TransitionRefused) as excinfo:
        change_status(closed, to_status="in_progress", actor=requester, now=too_late, reason="Broken again.")
    assert excinfo.value.field == "to_status"
    closed.refresh_from_db()
    assert (closed.status, closed.reopened_count) == (Status.CLOSED, 0)


def test_the_reopen_window_is_configurable(closed: Ticket, agent: User, settings: Settings) -> None:
    settings.SOPDESK_REOPEN_WINDOW_DAYS = 1
    with pytest.raises(TransitionRefused):
        change_status(closed, to_status="in_progress", actor=agent, now=NOW + timedelta(days=2), reason="Late.")
    settings.SOPDESK_REOPEN_WINDOW_DAYS = 3
    change_status(closed, to_status="in_progress", actor=agent, now=NOW + timedelta(days=2), reason="Late.")


def test_a_resolved_ticket_can_be_reopened_however_old(resolved: Ticket, requester: User) -> None:
    change_status(resolved, to_status="in_progress", actor=requester, now=NOW + timedelta(days=400), reason="Back.")
    resolved.refresh_from_db()
    assert resolved.status == Status.IN_PROGRESS


def test_a_status_change_emails_the_requester_after_commit(
    assigned: Ticket,
    agent: User,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    deliver_new(now=LATER)  # the mails queued when the ticket was made and assigned
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change_status(assigned, to_status="pending_customer", actor=agent, now=LATER, reason="Need a screenshot.")
    assert [message.to for message in mailoutbox] == [["requester@example.com"]]
    assert "\n\nNeed a screenshot.\n\n" in mailoutbox[0].body


def test_a_refused_change_schedules_no_mail(
    ticket: Ticket,
    agent: User,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(TransitionRefused):
        change_status(ticket, to_status="closed", actor=agent, now=LATER)
    assert callbacks == []
    assert mailoutbox == []


# --- add_comment --------------------------------------------------------------------------


def test_the_first_public_staff_reply_is_the_first_response(ticket: Ticket, agent: User) -> None:
    add_comment(ticket, actor=agent, body="On it.", is_internal=False, now=LATER)
    add_comment(ticket, actor=agent, body="Still on it.", is_internal=False, now=LATER + timedelta(hours=1))
    ticket.refresh_from_db()
    assert ticket.first_responded_at == LATER


def test_internal_notes_and_requester_replies_are_not_a_first_response(
    ticket: Ticket, agent: User, requester: User
) -> None:
    add_comment(ticket, actor=agent, body="Probably the VPN concentrator.", is_internal=True, now=LATER)
    add_comment(ticket, actor=requester, body="Any news?", is_internal=False, now=LATER)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None


def test_a_comment_is_recorded_as_reply_or_note(ticket: Ticket, agent: User) -> None:
    reply = add_comment(ticket, actor=agent, body="  Please restart.  ", is_internal=False, now=LATER)
    note = add_comment(ticket, actor=agent, body="Known issue #42.", is_internal=True, now=LATER)
    assert (reply.kind, reply.is_internal, reply.body) == (EventKind.PUBLIC_REPLY, False, "Please restart.")
    assert (note.kind, note.is_internal) == (EventKind.INTERNAL_NOTE, True)
    ticket.refresh_from_db()
    assert ticket.updated_at == LATER


def test_requesters_cannot_write_internal_notes(ticket: Ticket, requester: User) -> None:
    with pytest.raises(PermissionRefused) as excinfo:
        add_comment(ticket, actor=requester, body="Secret", is_internal=True, now=LATER)
    assert excinfo.value.field == "is_internal"
    assert kinds(ticket) == [EventKind.CREATED]


def test_a_requester_reply_ends_the_wait_for_the_customer(assigned: Ticket, agent: User, requester: User) -> None:
    change_status(assigned, to_status="pending_customer", actor=agent, now=NOW, reason="Need the log.")
    add_comment(assigned, actor=requester, body="Log attached.", is_internal=False, now=LATER)
    assigned.refresh_from_db()
    assert assigned.status == Status.IN_PROGRESS
    last = assigned.events.filter(kind=EventKind.STATUS_CHANGED).last()
    assert last is not None
    assert last.data == {"from": "pending_customer", "to": "in_progress"}
    assert last.actor == requester


def test_a_staff_reply_does_not_end_the_wait_for_the_customer(assigned: Ticket, agent: User) -> None:
    change_status(assigned, to_status="pending_customer", actor=agent, now=NOW, reason="Need the log.")
    add_comment(assigned, actor=agent, body="Reminder: we need the log.", is_internal=False, now=LATER)
    assigned.refresh_from_db()
    assert assigned.status == Status.PENDING_CUSTOMER


@pytest.mark.parametrize("body", ["", "   \n", "x" * (TEXT_MAX_LENGTH + 1), "nul\x00", "\x1b[2J"])
def test_empty_oversized_or_binary_comments_are_refused(ticket: Ticket, agent: User, body: str) -> None:
    with pytest.raises(ActionError) as excinfo:
        add_comment(ticket, actor=agent, body=body, is_internal=False, now=LATER)
    assert excinfo.value.field == "body"
    assert kinds(ticket) == [EventKind.CREATED]


def test_markup_in_a_comment_is_stored_verbatim(ticket: Ticket, requester: User) -> None:
    event = add_comment(ticket, actor=requester, body=SCRIPT, is_internal=False, now=LATER)
    assert TicketEvent.objects.get(pk=event.pk).body == SCRIPT


# --- add_attachment -----------------------------------------------------------------------


def test_an_attachment_is_stored_under_a_generated_name(ticket: Ticket, requester: User) -> None:
    upload = SimpleUploadedFile("../../etc/passwd.txt", b"root:x:0:0\n", content_type="text/html")
    attachment = add_attachment(ticket, actor=requester, upload=upload, is_internal=False, now=LATER)
    attachment.refresh_from_db()
    assert attachment.original_name == "passwd.txt"
    assert re.fullmatch(r"2026/03/[0-9a-f]{32}", attachment.file.name)
    stored = Path(attachment.file.path).resolve()
    assert stored.is_relative_to(Path(django_settings.MEDIA_ROOT).resolve())
    assert stored.read_bytes() == b"root:x:0:0\n"
    # The type is ours, not the client's claim.
    assert attachment.content_type == "text/plain"
    assert attachment.size == 11
    assert len(attachment.sha256) == 64


def test_two_files_with_the_same_name_are_both_kept(ticket: Ticket, requester: User) -> None:
    first = add_attachment(
        ticket, actor=requester, upload=SimpleUploadedFile("a.png", PNG), is_internal=False, now=LATER
    )
    second = add_attachment(
        ticket, actor=requester, upload=SimpleUploadedFile("a.png", PNG + b"\x00"), is_internal=False, now=LATER
    )
    assert first.file.name != second.file.name
    assert first.original_name == second.original_name == "a.png"
    assert first.content_type == "image/png"


def test_an_attachment_is_recorded_on_the_timeline(ticket: Ticket, agent: User) -> None:
    attachment = add_attachment(
        ticket, actor=agent, upload=SimpleUploadedFile("trace.log", b"ok\n"), is_internal=True, now=LATER
    )
    event = ticket.events.get(kind=EventKind.ATTACHMENT_ADDED)
    assert event.is_internal
    assert event.data == {"attachment_id": attachment.pk, "name": "trace.log"}
    assert attachment.is_internal
    assert attachment.uploaded_by == agent


def test_requesters_cannot_add_internal_attachments(ticket: Ticket, requester: User) -> None:
    with pytest.raises(PermissionRefused) as excinfo:
        add_attachment(ticket, actor=requester, upload=SimpleUploadedFile("a.txt", b"hi"), is_internal=True, now=LATER)
    assert excinfo.value.field == "is_internal"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("../../etc/passwd", b"root:x:0:0\n"),
        ("a\u202egnp.exe", b"MZ\x90\x00" + b"\x00" * 60),
        ("photo.png", b"<html><script>alert(1)</script></html>"),
        ("photo.png", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 60),
        ("notes.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 60),
        ("page.html", b"<html></html>"),
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        ("setup.exe", b"MZ\x90\x00"),
        ("empty.txt", b""),
    ],
)
def test_a_refused_upload_leaves_no_record_and_no_file(
    ticket: Ticket, requester: User, name: str, content: bytes
) -> None:
    media = Path(django_settings.MEDIA_ROOT)
    before = set(media.rglob("*")) if media.exists() else set()
    with pytest.raises(ActionError) as excinfo:
        add_attachment(ticket, actor=requester, upload=SimpleUploadedFile(name, content), is_internal=False, now=LATER)
    assert excinfo.value.field == "file"
    assert not Attachment.objects.exists()
    assert kinds(ticket) == [EventKind.CREATED]
    after = set(media.rglob("*")) if media.exists() else set()
    assert after == before


def test_an_upload_over_the_size_limit_is_refused(ticket: Ticket, requester: User, settings: Settings) -> None:
    settings.SOPDESK_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ActionError) as excinfo:
        add_attachment(
            ticket, actor=requester, upload=SimpleUploadedFile("big.txt", b"x" * 11), is_internal=False, now=LATER
        )
    assert excinfo.value.field == "file"
    assert "too large" in excinfo.value.message


# --- record_ticket_view -------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["agent", "engineer", "manager", "auditor"])
def test_every_staff_view_is_logged(request: pytest.FixtureRequest, ticket: Ticket, persona: str) -> None:
    user: User = request.getfixturevalue(persona)
    record_ticket_view(ticket, user=user, via=AccessChannel.API, now=LATER, ip_address="203.0.113.9")
    entry = TicketAccessLog.objects.get()
    assert (entry.ticket, entry.user, entry.via, entry.accessed_at, entry.ip_address) == (
        ticket,
        user,
        AccessChannel.API,
        LATER,
        "203.0.113.9",
    )


def test_each_view_is_a_new_log_entry(ticket: Ticket, agent: User) -> None:
    for via in (AccessChannel.WEB, AccessChannel.WEB, AccessChannel.ADMIN):
        record_ticket_view(ticket, user=agent, via=via, now=LATER, ip_address=None)
    assert TicketAccessLog.objects.filter(ticket=ticket, user=agent).count() == 3


def test_requesters_viewing_their_own_ticket_are_not_logged(ticket: Ticket, requester: User) -> None:
    record_ticket_view(ticket, user=requester, via=AccessChannel.WEB, now=LATER, ip_address="203.0.113.9")
    assert not TicketAccessLog.objects.exists()
