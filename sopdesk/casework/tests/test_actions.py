"""Casework actions: who may write which record, the state machines, refusals, timeline entries, visibility."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.casework import actions
from sopdesk.casework.choices import AuthorizationState, CaseworkEventKind, Language, PlanState
from sopdesk.casework.models import (
    CannedResponse,
    DiagnosisStep,
    RemoteAssistanceAuthorization,
    SolutionPlan,
    VerificationResult,
)
from sopdesk.casework.queries import (
    authorizations_for,
    canned_responses_for,
    diagnosis_steps_for,
    plans_for,
    verifications_for,
)
from sopdesk.core.errors import ActionError, NotFound, PermissionRefused, TransitionRefused
from sopdesk.core.models import HardDeleteRefused
from sopdesk.core.validation import ValidationFailed
from sopdesk.notifications.models import Notification
from sopdesk.testing import factories
from sopdesk.tickets.actions import add_attachment
from sopdesk.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Shanghai
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def ticket(requester: User, service_desk: Team) -> Ticket:
    return factories.make_ticket(requester, title="VPN drops every hour", now=NOW - timedelta(hours=1))


@pytest.fixture
def colleague(requester: User) -> User:
    """A requester of the same organisation, which shares its tickets."""
    organization = requester.organization
    assert organization is not None
    organization.shares_tickets = True
    organization.save(update_fields=["shares_tickets"])
    return factories.make_user("colleague", organization=organization)


def diagnose(ticket: Ticket, actor: User, **overrides: object) -> DiagnosisStep:
    values: dict[str, object] = {"checked": "VPN client log", "result": "Keep-alive timeouts", "now": NOW}
    values.update(overrides)
    return actions.record_diagnosis_step(ticket, actor=actor, **values)  # type: ignore[arg-type]


def ask(ticket: Ticket, agent: User, *, ends_at: datetime | None = None) -> RemoteAssistanceAuthorization:
    return actions.request_remote_assistance(
        ticket,
        actor=agent,
        scope="Read the VPN client configuration",
        method="Sunlogin remote desktop",
        ends_at=ends_at or NOW + timedelta(hours=4),
        now=NOW,
    )


def propose(ticket: Ticket, agent: User, **overrides: object) -> SolutionPlan:
    values: dict[str, object] = {
        "steps": "1. Update the VPN client\n2. Reboot",
        "rollback_plan": "Reinstall the previous version",
        "now": NOW,
    }
    values.update(overrides)
    return actions.propose_solution_plan(ticket, actor=agent, **values)  # type: ignore[arg-type]


def kinds(ticket: Ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket).order_by("id").values_list("kind", flat=True))


# --- diagnosis steps -------------------------------------------------------------------------


def test_staff_record_a_diagnosis_step_as_an_internal_timeline_entry(ticket: Ticket, agent: User) -> None:
    version = ticket.version

    step = diagnose(ticket, agent, command="journalctl -u vpn --since today")

    event = TicketEvent.objects.get(ticket=ticket, kind=CaseworkEventKind.DIAGNOSIS_RECORDED)
    assert (event.actor, event.is_internal, event.body) == (agent, True, "VPN client log")
    assert event.data == {"diagnosis_step": step.pk, "attachments": []}
    assert (step.created_by, step.created_at, step.is_public) == (agent, NOW, False)
    ticket.refresh_from_db()
    assert ticket.version == version + 1
    assert ticket.updated_at == NOW


def test_a_public_diagnosis_step_is_a_public_timeline_entry(ticket: Ticket, agent: User) -> None:
    diagnose(ticket, agent, is_public=True)

    assert not TicketEvent.objects.get(ticket=ticket, kind=CaseworkEventKind.DIAGNOSIS_RECORDED).is_internal


def test_requesters_see_only_public_diagnosis_steps(ticket: Ticket, agent: User, requester: User) -> None:
    diagnose(ticket, agent, checked="internal check")
    diagnose(ticket, agent, checked="public check", is_public=True)

    assert [s.checked for s in diagnosis_steps_for(ticket, requester)] == ["public check"]
    assert [s.checked for s in diagnosis_steps_for(ticket, agent)] == ["internal check", "public check"]


def test_a_requester_cannot_record_a_diagnosis_step(ticket: Ticket, requester: User) -> None:
    with pytest.raises(PermissionRefused):
        diagnose(ticket, requester)
    assert not DiagnosisStep.objects.exists()


def test_an_auditor_may_read_but_not_record(ticket: Ticket, agent: User, auditor: User) -> None:
    diagnose(ticket, agent)

    with pytest.raises(PermissionRefused):
        diagnose(ticket, auditor)
    assert len(diagnosis_steps_for(ticket, auditor)) == 1


def test_staff_of_another_team_do_not_find_the_ticket(ticket: Ticket, engineer: User) -> None:
    with pytest.raises(NotFound):
        diagnose(ticket, engineer)
    assert len(diagnosis_steps_for(ticket, engineer)) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("checked", "  "), ("result", ""), ("checked", "a\nb"), ("command", "ls\x00"), ("checked", "x" * 501)],
)
def test_bad_diagnosis_input_is_refused_by_field(ticket: Ticket, agent: User, field: str, value: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        diagnose(ticket, agent, **{field: value})
    assert field in refused.value.errors


def test_screenshots_are_attachments_of_the_same_ticket(
    ticket: Ticket, agent: User, requester: User, service_desk: Team
) -> None:
    upload = SimpleUploadedFile("screen.png", PNG)
    own = add_attachment(ticket, actor=agent, upload=upload, is_internal=True, now=NOW)
    other = factories.make_ticket(requester, title="Another")
    foreign = add_attachment(other, actor=agent, upload=SimpleUploadedFile("x.png", PNG), is_internal=False, now=NOW)

    step = diagnose(ticket, agent, attachment_ids=[own.pk])
    with pytest.raises(ActionError) as refused:
        diagnose(ticket, agent, attachment_ids=[foreign.pk])

    assert list(step.attachments.all()) == [own]
    assert refused.value.field == "attachment_ids"


def test_a_public_step_cannot_show_an_internal_screenshot(ticket: Ticket, agent: User) -> None:
    internal = add_attachment(ticket, actor=agent, upload=SimpleUploadedFile("s.png", PNG), is_internal=True, now=NOW)

    with pytest.raises(ActionError, match="internal attachments"):
        diagnose(ticket, agent, is_public=True, attachment_ids=[internal.pk])


def test_uploaded_screenshots_pass_the_attachment_checks_and_follow_the_step(ticket: Ticket, agent: User) -> None:
    step = diagnose(ticket, agent, uploads=[SimpleUploadedFile("screen.png", PNG)])
    (attachment,) = step.attachments.all()

    assert (attachment.original_name, attachment.is_internal, attachment.content_type) == (
        "screen.png",
        True,
        "image/png",
    )
    with pytest.raises(ActionError) as refused:
        diagnose(ticket, agent, uploads=[SimpleUploadedFile("screen.png", b"not a png at all")])
    assert refused.value.field == "file"


def test_records_are_never_deleted_and_written_once(ticket: Ticket, agent: User) -> None:
    step = diagnose(ticket, agent)

    with pytest.raises(HardDeleteRefused):
        step.delete()
    with pytest.raises(HardDeleteRefused):
        DiagnosisStep.objects.all().delete()
    step.result = "changed"
    with pytest.raises(HardDeleteRefused):
        step.save()


# --- remote-assistance authorisations ------------------------------------------------------------


def test_staff_ask_and_the_requester_is_told(ticket: Ticket, agent: User, requester: User) -> None:
    authorization = ask(ticket, agent)

    assert authorization.state == AuthorizationState.REQUESTED
    event = TicketEvent.objects.get(ticket=ticket, kind=CaseworkEventKind.REMOTE_REQUESTED)
    assert not event.is_internal
    assert event.body == "Read the VPN client configuration"
    assert Notification.objects.filter(recipient=requester, ticket=ticket).exists()


def test_the_requester_grants_and_the_agent_is_told(ticket: Ticket, agent: User, requester: User) -> None:
    authorization = ask(ticket, agent)

    actions.grant_remote_assistance(authorization, actor=requester, now=NOW + timedelta(minutes=5))

    authorization.refresh_from_db()
    assert authorization.state == AuthorizationState.GRANTED
    assert (authorization.decided_by, authorization.decided_at) == (requester, NOW + timedelta(minutes=5))
    assert authorization.is_in_force(NOW + timedelta(hours=1))
    assert kinds(ticket)[-1] == CaseworkEventKind.REMOTE_GRANTED
    assert Notification.objects.filter(recipient=agent, ticket=ticket).exists()


def test_the_requester_may_grant_for_a_shorter_time_than_asked(ticket: Ticket, agent: User, requester: User) -> None:
    authorization = ask(ticket, agent)

    actions.grant_remote_assistance(authorization, actor=requester, now=NOW, ends_at=NOW + timedelta(hours=1))

    authorization.refresh_from_db()
    assert authorization.ends_at == NOW + timedelta(hours=1)
    assert authorization.state_at(NOW + timedelta(hours=1)) == AuthorizationState.EXPIRED
    event = TicketEvent.objects.get(ticket=ticket, kind=CaseworkEventKind.REMOTE_GRANTED)
    assert event.data["ends_at"] == (NOW + timedelta(hours=1)).isoformat()


@pytest.mark.parametrize("hours", [-1, 0, 5])
def test_a_grant_cannot_end_in_the_past_or_later_than_asked(
    ticket: Ticket, agent: User, requester: User, hours: int
) -> None:
    authorization = ask(ticket, agent)

    with pytest.raises(ValidationFailed) as refused:
        actions.grant_remote_assistance(authorization, actor=requester, now=NOW, ends_at=NOW + timedelta(hours=hours))

    assert "ends_at" in refused.value.errors
    authorization.refresh_from_db()
    assert (authorization.state, authorization.ends_at) == (AuthorizationState.REQUESTED, NOW + timedelta(hours=4))


def test_a_granted_authorisation_past_its_end_reads_as_expired(ticket: Ticket, agent: User, requester: User) -> None:
    authorization = ask(ticket, agent)
    actions.grant_remote_assistance(authorization, actor=requester, now=NOW)

    assert authorization.state_at(NOW + timedelta(hours=4)) == AuthorizationState.EXPIRED
    assert not authorization.is_in_force(NOW + timedelta(hours=4))
    with pytest.raises(TransitionRefused):
        actions.revoke_remote_assistance(authorization, actor=requester, now=NOW + timedelta(hours=5))


def test_the_requester_revokes_an_authorisation_in_force(ticket: Ticket, agent: User, requester: User) -> None:
    authorization = ask(ticket, agent)
    actions.grant_remote_assistance(authorization, actor=requester, now=NOW)

    actions.revoke_remote_assistance(authorization, actor=requester, now=NOW + timedelta(hours=1))

    assert authorization.state_at(NOW + timedelta(hours=2)) == AuthorizationState.REVOKED
    assert (authorization.revoked_by, authorization.revoked_at) == (requester, NOW + timedelta(hours=1))
    with pytest.raises(TransitionRefused):
        actions.revoke_remote_assistance(authorization, actor=requester, now=NOW + timedelta(hours=2))


def test_the_requester_refuses_with_a_reason(ticket: Ticket, agent: User, requester: User) -> None:
    authorization = ask(ticket, agent)

    actions.refuse_remote_assistance(authorization, actor=requester, now=NOW, reason="Not on my work laptop")

    assert authorization.state == AuthorizationState.REFUSED
    assert authorization.refusal_reason == "Not on my work laptop"
    with pytest.raises(TransitionRefused):
        actions.grant_remote_assistance(authorization, actor=requester, now=NOW)


def test_a_decided_authorisation_cannot_be_decided_again(ticket: Ticket, agent: User, requester: User) -> None:
    authorization = ask(ticket, agent)
    actions.grant_remote_assistance(authorization, actor=requester, now=NOW)

    with pytest.raises(TransitionRefused):
        actions.grant_remote_assistance(authorization, actor=requester, now=NOW)
    with pytest.raises(TransitionRefused):
        actions.refuse_remote_assistance(authorization, actor=requester, now=NOW)


def test_a_request_past_its_end_cannot_be_granted_only_refused(ticket: Ticket, agent: User, requester: User) -> None:
    authorization = ask(ticket, agent, ends_at=NOW + timedelta(hours=1))

    assert actions.authorization_moves(authorization, deciding=True, now=NOW + timedelta(hours=2)) == ["refuse"]
    with pytest.raises(TransitionRefused):
        actions.grant_remote_assistance(authorization, actor=requester, now=NOW + timedelta(hours=2))


@pytest.mark.parametrize("persona", ["agent", "team_lead", "manager"])
def test_only_the_requester_grants(request: pytest.FixtureRequest, ticket: Ticket, agent: User, persona: str) -> None:
    authorization = ask(ticket, agent)

    with pytest.raises(PermissionRefused):
        actions.grant_remote_assistance(authorization, actor=request.getfixturevalue(persona), now=NOW)
    authorization.refresh_from_db()
    assert authorization.state == AuthorizationState.REQUESTED


def test_a_colleague_who_sees_the_shared_ticket_may_not_decide(ticket: Ticket, agent: User, colleague: User) -> None:
    authorization = ask(ticket, agent)

    assert len(authorizations_for(ticket, colleague)) == 1
    with pytest.raises(PermissionRefused):
        actions.grant_remote_assistance(authorization, actor=colleague, now=NOW)
    assert not actions.may_decide(colleague, ticket)


def test_an_outsider_and_an_auditor_are_refused(ticket: Ticket, agent: User, outsider: User, auditor: User) -> None:
    authorization = ask(ticket, agent)

    with pytest.raises(NotFound):
        actions.grant_remote_assistance(authorization, actor=outsider, now=NOW)
    with pytest.raises(PermissionRefused):
        actions.revoke_remote_assistance(authorization, actor=auditor, now=NOW)
    with pytest.raises(PermissionRefused):
        ask(ticket, auditor)


def test_a_requester_cannot_ask_for_authorisation(ticket: Ticket, requester: User) -> None:
    with pytest.raises(PermissionRefused):
        ask(ticket, requester)


@pytest.mark.parametrize("ends_in", [timedelta(0), timedelta(hours=-1), timedelta(days=31)])
def test_the_time_limit_must_lie_ahead_within_thirty_days(ticket: Ticket, agent: User, ends_in: timedelta) -> None:
    with pytest.raises(ValidationFailed) as refused:
        ask(ticket, agent, ends_at=NOW + ends_in)
    assert list(refused.value.errors) == ["ends_at"]


def test_requesters_see_authorisation_requests(ticket: Ticket, agent: User, requester: User, outsider: User) -> None:
    ask(ticket, agent)

    assert len(authorizations_for(ticket, requester)) == 1
    assert len(authorizations_for(ticket, outsider)) == 0


# --- solution plans -------------------------------------------------------------------------------


def test_a_new_version_supersedes_the_previous_plan(ticket: Ticket, agent: User, requester: User) -> None:
    first = propose(ticket, agent, scheduled_at=NOW + timedelta(hours=10))
    second = propose(ticket, agent, risks="Users lose the connection for 5 minutes")

    first.refresh_from_db()
    assert (first.version, first.state, first.superseded_at) == (1, PlanState.SUPERSEDED, NOW)
    assert (second.version, second.state) == (2, PlanState.PROPOSED)
    event = TicketEvent.objects.filter(ticket=ticket, kind=CaseworkEventKind.PLAN_PROPOSED).last()
    assert event is not None
    assert event.data["supersedes"] == 1
    assert not event.is_internal
    assert [p.version for p in plans_for(ticket, requester)] == [1, 2]
    with pytest.raises(TransitionRefused, match="newer version"):
        actions.confirm_solution_plan(first, actor=requester, now=NOW)


def test_the_requester_confirms_the_plan(ticket: Ticket, agent: User, requester: User) -> None:
    plan = propose(ticket, agent)

    actions.confirm_solution_plan(plan, actor=requester, now=NOW + timedelta(minutes=1))

    assert (plan.state, plan.decided_by) == (PlanState.CONFIRMED, requester)
    assert kinds(ticket)[-1] == CaseworkEventKind.PLAN_CONFIRMED
    with pytest.raises(TransitionRefused):
        actions.reject_solution_plan(plan, actor=requester, reason="Changed my mind", now=NOW)
    # A new version after a confirmed one needs a new confirmation.
    propose(ticket, agent)
    plan.refresh_from_db()
    assert plan.state == PlanState.SUPERSEDED


def test_a_rejection_needs_a_reason_and_stays_on_record(ticket: Ticket, agent: User, requester: User) -> None:
    plan = propose(ticket, agent)

    with pytest.raises(ValidationFailed) as refused:
        actions.reject_solution_plan(plan, actor=requester, reason="  ", now=NOW)
    assert list(refused.value.errors) == ["reason"]
    actions.reject_solution_plan(plan, actor=requester, reason="Not during month-end closing", now=NOW)
    second = propose(ticket, agent)

    plan.refresh_from_db()
    assert (plan.state, plan.rejection_reason) == (PlanState.REJECTED, "Not during month-end closing")
    assert second.version == 2


@pytest.mark.parametrize("persona", ["agent", "auditor", "colleague"])
def test_only_the_requester_confirms_a_plan(
    request: pytest.FixtureRequest, ticket: Ticket, agent: User, persona: str
) -> None:
    plan = propose(ticket, agent)

    with pytest.raises(PermissionRefused):
        actions.confirm_solution_plan(plan, actor=request.getfixturevalue(persona), now=NOW)
    assert actions.plan_moves(plan, deciding=False) == []


def test_a_requester_cannot_propose_a_plan(ticket: Ticket, requester: User) -> None:
    with pytest.raises(PermissionRefused):
        propose(ticket, requester)


def test_a_plan_needs_steps_and_a_rollback_plan_and_a_future_time(ticket: Ticket, agent: User) -> None:
    with pytest.raises(ValidationFailed) as refused:
        propose(ticket, agent, steps="", rollback_plan=" ", scheduled_at=NOW - timedelta(minutes=1))
    assert set(refused.value.errors) == {"steps", "rollback_plan", "scheduled_at"}
    assert not SolutionPlan.objects.exists()


# --- verification results ----------------------------------------------------------------------------


def test_staff_record_a_verification_result(ticket: Ticket, agent: User, requester: User) -> None:
    actions.record_verification(ticket, actor=agent, verified="VPN stays up for 2 h", outcome="passed", now=NOW)
    actions.record_verification(
        ticket, actor=agent, verified="User confirms", outcome="failed", notes="Dropped once", is_public=True, now=NOW
    )

    assert [r.outcome for r in verifications_for(ticket, agent)] == ["passed", "failed"]
    assert [r.outcome for r in verifications_for(ticket, requester)] == ["failed"]
    entries = TicketEvent.objects.filter(ticket=ticket, kind=CaseworkEventKind.VERIFICATION_RECORDED)
    assert [e.is_internal for e in entries] == [True, False]


def test_a_verification_outcome_is_passed_or_failed(ticket: Ticket, agent: User) -> None:
    with pytest.raises(ValidationFailed) as refused:
        actions.record_verification(ticket, actor=agent, verified="x", outcome="maybe", now=NOW)
    assert list(refused.value.errors) == ["outcome"]


def test_a_requester_cannot_record_a_verification(ticket: Ticket, requester: User) -> None:
    with pytest.raises(PermissionRefused):
        actions.record_verification(ticket, actor=requester, verified="x", outcome="passed", now=NOW)
    assert not VerificationResult.objects.exists()


# --- canned responses -----------------------------------------------------------------------------------


def canned(actor: User, *, team: Team | None = None, **overrides: str) -> CannedResponse:
    values = {"title": "Received", "body": "{requester_name}, we are on {ticket_number}.", "language": Language.EN}
    values.update(overrides)
    return actions.create_canned_response(actor=actor, team=team, now=NOW, **values)


def test_an_agent_writes_personal_canned_responses_only_they_see(agent: User, team_lead: User) -> None:
    mine = canned(agent)

    assert (mine.owner, mine.team, mine.is_active) == (agent, None, True)
    assert list(canned_responses_for(agent)) == [mine]
    assert list(canned_responses_for(team_lead)) == []


def test_a_team_lead_writes_the_teams_canned_responses_members_see(
    agent: User, team_lead: User, service_desk: Team, engineer: User
) -> None:
    shared = canned(team_lead, team=service_desk)

    assert (shared.owner, shared.team) == (None, service_desk)
    assert list(canned_responses_for(agent)) == [shared]
    assert list(canned_responses_for(engineer)) == []
    assert actions.may_manage_canned_response(team_lead, shared)
    assert not actions.may_manage_canned_response(agent, shared)


def test_an_agent_cannot_write_for_the_team_nor_change_its_responses(
    agent: User, team_lead: User, service_desk: Team
) -> None:
    shared = canned(team_lead, team=service_desk)

    with pytest.raises(PermissionRefused) as refused:
        canned(agent, team=service_desk)
    assert refused.value.field == "team"
    with pytest.raises(PermissionRefused):
        actions.update_canned_response(shared, actor=agent, body="Changed", now=NOW)
    with pytest.raises(PermissionRefused):
        actions.set_canned_response_active(shared, actor=agent, is_active=False, now=NOW)


def test_an_administrator_manages_every_teams_responses(team_lead: User, service_desk: Team) -> None:
    admin = factories.make_user("admin", role=Role.ADMIN)
    shared = canned(team_lead, team=service_desk)

    actions.update_canned_response(shared, actor=admin, title="Acknowledged", now=NOW)

    assert shared.title == "Acknowledged"


def test_a_disabled_administrator_writes_no_teams_responses(service_desk: Team) -> None:
    admin = factories.make_user("admin", role=Role.ADMIN)
    admin.is_active = False

    with pytest.raises(PermissionRefused):
        canned(admin, team=service_desk)
    assert not CannedResponse.objects.filter(team=service_desk).exists()


@pytest.mark.parametrize("persona", ["requester", "auditor"])
def test_requesters_and_auditors_write_no_canned_responses(request: pytest.FixtureRequest, persona: str) -> None:
    with pytest.raises(PermissionRefused):
        canned(request.getfixturevalue(persona))
    assert list(canned_responses_for(request.getfixturevalue(persona))) == []


def test_an_unknown_variable_is_refused_when_saving(agent: User) -> None:
    with pytest.raises(ValidationFailed) as refused:
        canned(agent, body="Dear {customer}")
    assert "Unknown variable {customer}" in refused.value.errors["body"][0]
    mine = canned(agent)
    with pytest.raises(ValidationFailed):
        actions.update_canned_response(mine, actor=agent, body="{ticket_number", now=NOW)
    mine.refresh_from_db()
    assert mine.body == "{requester_name}, we are on {ticket_number}."


def test_the_owner_updates_and_deactivates_without_deleting(agent: User) -> None:
    mine = canned(agent)

    actions.update_canned_response(mine, actor=agent, body="你好 {requester_name}", language="zh-hans", now=NOW)
    actions.set_canned_response_active(mine, actor=agent, is_active=False, now=NOW)

    assert list(canned_responses_for(agent)) == []
    assert list(canned_responses_for(agent, include_inactive=True)) == [mine]
    mine.refresh_from_db()
    assert (mine.body, mine.language, mine.is_active) == ("你好 {requester_name}", "zh-hans", False)
    with pytest.raises(HardDeleteRefused):
        mine.delete()


def test_the_list_filters_by_language_and_search_term(agent: User) -> None:
    english = canned(agent, title="Received", body="We got your request {ticket_number}.")
    chinese = canned(agent, title="已受理", body="您好，{requester_name}，工单已受理。", language="zh-hans")

    assert list(canned_responses_for(agent, language="zh-hans")) == [chinese]
    assert list(canned_responses_for(agent, search="GOT YOUR")) == [english]
    assert list(canned_responses_for(agent, search="受理")) == [chinese]


def test_an_unknown_language_is_refused(agent: User) -> None:
    with pytest.raises(ValidationFailed) as refused:
        canned(agent, language="fr")
    assert list(refused.value.errors) == ["language"]


@pytest.mark.parametrize(
    ("persona", "writes", "decides"),
    [
        ("agent", True, False),
        ("team_lead", True, False),
        ("manager", True, False),
        ("engineer", False, False),
        ("auditor", False, False),
        ("requester", False, True),
        ("colleague", False, False),
        ("outsider", False, False),
    ],
)
def test_the_ui_is_told_who_writes_and_who_decides(
    request: pytest.FixtureRequest, ticket: Ticket, persona: str, writes: bool, decides: bool
) -> None:
    user = request.getfixturevalue(persona)

    assert actions.may_write_records(user, ticket) is writes
    assert actions.may_decide(user, ticket) is decides
