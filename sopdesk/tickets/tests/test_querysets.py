"""The one visibility rule for tickets, events and attachments, and single-ticket access."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Organization, Team, TeamMembership, User
from sopdesk.core.errors import NotFound, PermissionRefused
from sopdesk.testing import factories
from sopdesk.tickets.actions import add_attachment, add_comment, assign_ticket
from sopdesk.tickets.models import Attachment, Ticket, TicketEvent
from sopdesk.tickets.queries import (
    attachments_for,
    events_for,
    get_attachment_for_user,
    get_ticket_for_user,
    latest_events_for,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Desk:
    mine: Ticket  # requester's, in the service desk
    colleague: Ticket  # a colleague's in the same organisation, routed to second line
    other_org: Ticket  # the outsider's, in the service desk


@pytest.fixture
def colleague(org_a: Organization) -> User:
    return factories.make_user("colleague", organization=org_a)


@pytest.fixture
def desk(requester: User, colleague: User, outsider: User, agent: User, engineer: User, second_line: Team) -> Desk:
    mine = factories.make_ticket(requester, title="Mine", now=NOW)
    theirs = factories.make_ticket(colleague, title="Colleague's", now=NOW)
    assign_ticket(theirs, team=second_line, assignee=engineer, actor=agent, now=NOW)
    other = factories.make_ticket(outsider, title="Other organisation's", now=NOW)
    return Desk(mine=mine, colleague=theirs, other_org=other)


def visible(user: User | AnonymousUser) -> set[str]:
    return set(Ticket.objects.visible_to(user).values_list("title", flat=True))  # type: ignore[arg-type]


def test_a_requester_sees_only_their_own_tickets(desk: Desk, requester: User) -> None:
    assert visible(requester) == {"Mine"}


def test_a_requester_sees_the_organisations_tickets_when_it_shares_them(
    desk: Desk, requester: User, org_a: Organization
) -> None:
    Organization.objects.filter(pk=org_a.pk).update(shares_tickets=True)
    assert visible(requester) == {"Mine", "Colleague's"}


def test_the_outsider_sees_nothing_of_the_requesters_organisation_even_when_it_shares(
    desk: Desk, outsider: User, org_a: Organization
) -> None:
    Organization.objects.filter(pk=org_a.pk).update(shares_tickets=True)
    assert visible(outsider) == {"Other organisation's"}


def test_sharing_in_one_organisation_does_not_open_another(desk: Desk, requester: User, org_b: Organization) -> None:
    Organization.objects.filter(pk=org_b.pk).update(shares_tickets=True)
    assert visible(requester) == {"Mine"}


def test_a_requester_without_an_organisation_sees_only_their_own(desk: Desk) -> None:
    loner = factories.make_user("loner")
    factories.make_ticket(loner, title="Loner's", now=NOW)
    assert visible(loner) == {"Loner's"}


def test_an_agent_sees_their_teams_tickets(desk: Desk, agent: User) -> None:
    assert visible(agent) == {"Mine", "Other organisation's"}


def test_an_engineer_sees_the_second_line_queue_only(desk: Desk, engineer: User) -> None:
    assert visible(engineer) == {"Colleague's"}


def test_staff_keep_seeing_tickets_assigned_to_them_after_leaving_the_team(
    desk: Desk, engineer: User, second_line: Team
) -> None:
    other_engineer = factories.make_user("engineer-2", role=Role.ENGINEER, teams=[second_line])
    factories.make_ticket(desk.mine.requester, title="Unassigned second line", now=NOW)
    Ticket.objects.filter(title="Unassigned second line").update(team=second_line)
    TeamMembership.objects.filter(user=engineer).delete()
    assert visible(engineer) == {"Colleague's"}
    assert visible(other_engineer) == {"Colleague's", "Unassigned second line"}


def test_staff_see_the_tickets_they_raised_themselves(desk: Desk, engineer: User) -> None:
    factories.make_ticket(engineer, title="Engineer's own laptop", now=NOW)
    assert visible(engineer) == {"Colleague's", "Engineer's own laptop"}


def test_a_team_lead_sees_the_led_teams_tickets(desk: Desk, team_lead: User) -> None:
    assert visible(team_lead) == {"Mine", "Other organisation's"}


@pytest.mark.parametrize("persona", ["manager", "auditor"])
def test_managers_and_auditors_see_everything(request: pytest.FixtureRequest, desk: Desk, persona: str) -> None:
    assert visible(request.getfixturevalue(persona)) == {"Mine", "Colleague's", "Other organisation's"}


def test_a_superuser_sees_everything_whatever_the_role(desk: Desk) -> None:
    root = User.objects.create_superuser("root", "root@example.com", "pw", role=Role.REQUESTER)
    assert visible(root) == {"Mine", "Colleague's", "Other organisation's"}


@pytest.mark.parametrize("persona", ["requester", "agent", "manager", "auditor"])
def test_inactive_users_see_nothing(request: pytest.FixtureRequest, desk: Desk, persona: str) -> None:
    user: User = request.getfixturevalue(persona)
    user.is_active = False
    user.save()
    assert visible(user) == set()
    assert not TicketEvent.objects.visible_to(user).exists()
    assert not Ticket.objects.writable_by(user).exists()


def test_anonymous_visitors_see_nothing(desk: Desk) -> None:
    assert visible(AnonymousUser()) == set()
    assert not TicketEvent.objects.visible_to(AnonymousUser()).exists()  # type: ignore[arg-type]


# --- events and attachments ---------------------------------------------------------------


@pytest.fixture
def timeline(desk: Desk, agent: User, requester: User) -> Ticket:
    ticket = desk.mine
    add_comment(ticket, actor=agent, body="Public answer", is_internal=False, now=NOW)
    add_comment(ticket, actor=agent, body="Internal guess", is_internal=True, now=NOW)
    add_attachment(ticket, actor=agent, upload=SimpleUploadedFile("public.txt", b"a"), is_internal=False, now=NOW)
    add_attachment(ticket, actor=agent, upload=SimpleUploadedFile("internal.txt", b"b"), is_internal=True, now=NOW)
    assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=NOW)
    return ticket


def test_requesters_never_see_internal_events(timeline: Ticket, requester: User) -> None:
    events = list(events_for(timeline, requester))
    assert events
    assert not any(event.is_internal for event in events)
    assert "Internal guess" not in [event.body for event in events]
    assert not TicketEvent.objects.visible_to(requester).filter(is_internal=True).exists()


def test_staff_see_the_whole_timeline_in_order(timeline: Ticket, agent: User) -> None:
    events = list(events_for(timeline, agent))
    assert events == list(TicketEvent.objects.filter(ticket=timeline).order_by("created_at", "id"))
    assert any(event.is_internal for event in events)


def test_a_long_timeline_shows_its_newest_entries_oldest_first(timeline: Ticket, agent: User, requester: User) -> None:
    everything = list(events_for(timeline, agent))
    assert latest_events_for(timeline, agent, limit=3) == (everything[-3:], True)
    assert latest_events_for(timeline, agent, limit=len(everything)) == (everything, False)
    public, has_older = latest_events_for(timeline, requester, limit=2)
    assert public == list(events_for(timeline, requester))[-2:]
    assert has_older
    assert not any(event.is_internal for event in public)


def test_requesters_never_see_internal_attachments(timeline: Ticket, requester: User, agent: User) -> None:
    assert [a.original_name for a in attachments_for(timeline, requester)] == ["public.txt"]
    assert [a.original_name for a in attachments_for(timeline, agent)] == ["public.txt", "internal.txt"]
    internal = Attachment.objects.get(original_name="internal.txt")
    with pytest.raises(Http404):
        get_attachment_for_user(requester, timeline, internal.pk)
    assert get_attachment_for_user(agent, timeline, internal.pk) == internal


def test_the_outsider_sees_no_event_or_attachment_of_the_requester(timeline: Ticket, outsider: User) -> None:
    assert not TicketEvent.objects.visible_to(outsider).filter(ticket=timeline).exists()
    assert not Attachment.objects.visible_to(outsider).filter(ticket=timeline).exists()


def test_an_attachment_of_another_ticket_is_not_found_through_this_one(
    timeline: Ticket, desk: Desk, agent: User
) -> None:
    public = Attachment.objects.get(original_name="public.txt")
    with pytest.raises(Http404):
        get_attachment_for_user(agent, desk.other_org, public.pk)


# --- writable_by and get_ticket_for_user --------------------------------------------------


def test_requesters_may_change_only_their_own_tickets_even_when_they_see_more(
    desk: Desk, requester: User, org_a: Organization
) -> None:
    Organization.objects.filter(pk=org_a.pk).update(shares_tickets=True)
    assert list(Ticket.objects.writable_by(requester)) == [desk.mine]


def test_auditors_may_change_nothing(desk: Desk, auditor: User) -> None:
    assert not Ticket.objects.writable_by(auditor).exists()


def test_agents_may_change_what_they_see(desk: Desk, agent: User) -> None:
    assert set(Ticket.objects.writable_by(agent)) == set(Ticket.objects.visible_to(agent))


@pytest.mark.parametrize("sharing", [False, True])
def test_the_one_ticket_write_check_agrees_with_the_rule_for_every_persona(
    request: pytest.FixtureRequest, desk: Desk, org_a: Organization, sharing: bool
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sopdesk.tickets.querysets import may_write_ticket

    Organization.objects.filter(pk=org_a.pk).update(shares_tickets=sharing)
    personas = ["requester", "colleague", "outsider", "agent", "engineer", "team_lead", "manager", "auditor"]
    users = [request.getfixturevalue(persona) for persona in personas]
    inactive = factories.make_user("gone", role=Role.AGENT)
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    users.append(User.objects.get(pk=inactive.pk))
    superuser = factories.make_user("root", role=Role.AGENT)
    User.objects.filter(pk=superuser.pk).update(is_superuser=True)
    users.append(User.objects.get(pk=superuser.pk))

    for user in [User.objects.get(pk=u.pk) for u in users]:
        for ticket in (desk.mine, desk.colleague, desk.other_org):
            expected = Ticket.objects.writable_by(user).filter(pk=ticket.pk).exists()
            assert may_write_ticket(ticket, user) is expected, (user.username, ticket.title)
    assert may_write_ticket(desk.mine, AnonymousUser()) is False  # type: ignore[arg-type]

    # Requesters and those who see every ticket are answered from the loaded rows.
    manager, requester = request.getfixturevalue("manager"), request.getfixturevalue("requester")
    with CaptureQueriesContext(connection) as queries:
        assert may_write_ticket(desk.colleague, manager)
        assert may_write_ticket(desk.mine, requester)
        assert not may_write_ticket(desk.colleague, requester)
    assert len(queries) == 0


def test_get_ticket_for_user_returns_a_visible_ticket(desk: Desk, requester: User) -> None:
    assert get_ticket_for_user(requester, desk.mine.number) == desk.mine


@pytest.mark.parametrize("persona", ["outsider", "engineer"])
def test_someone_elses_ticket_is_not_found_rather_than_forbidden(
    request: pytest.FixtureRequest, desk: Desk, persona: str
) -> None:
    user: User = request.getfixturevalue(persona)
    with pytest.raises(Http404):
        get_ticket_for_user(user, desk.mine.number)
    # An action called with a ticket its caller cannot see answers the same way (no oracle).
    with pytest.raises(NotFound):
        add_comment(desk.mine, actor=user, body="hello", is_internal=False, now=NOW)


@pytest.mark.parametrize(
    "number", ["TS-2026-999999", "", "TS-2026-000001' OR '1'='1", "T" * 10_000, "%", "TS-%", "TS-\x00"]
)
def test_unknown_or_odd_numbers_are_not_found(desk: Desk, manager: User, number: str) -> None:
    with pytest.raises(Http404):
        get_ticket_for_user(manager, number)


def test_an_auditor_reads_but_may_not_change(desk: Desk, auditor: User) -> None:
    assert get_ticket_for_user(auditor, desk.mine.number) == desk.mine
    with pytest.raises(PermissionRefused):
        add_comment(desk.mine, actor=auditor, body="looks fine", is_internal=True, now=NOW)
    assert not desk.mine.events.filter(body="looks fine").exists()


def test_a_colleague_reads_a_shared_ticket_but_may_not_change_it(
    desk: Desk, requester: User, org_a: Organization
) -> None:
    Organization.objects.filter(pk=org_a.pk).update(shares_tickets=True)
    assert get_ticket_for_user(requester, desk.colleague.number) == desk.colleague
    with pytest.raises(PermissionRefused):
        add_comment(desk.colleague, actor=requester, body="me too", is_internal=False, now=NOW)
    assert not desk.colleague.events.filter(body="me too").exists()


@pytest.mark.parametrize(
    "persona", ["requester", "colleague", "outsider", "agent", "engineer", "team_lead", "manager", "auditor"]
)
def test_the_one_ticket_form_of_the_rule_answers_as_the_list_form(
    request: pytest.FixtureRequest, desk: Desk, persona: str, org_a: Organization
) -> None:
    """`by_key=True` (the teams as a subquery of the one statement) never changes who sees or changes what."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    org_a.shares_tickets = True
    org_a.save(update_fields=["shares_tickets"])
    user: User = request.getfixturevalue(persona)
    for ticket in (desk.mine, desk.colleague, desk.other_org):
        for rule in ("visible_to", "writable_by"):
            listed = getattr(Ticket.objects, rule)(user).filter(pk=ticket.pk).exists()
            with CaptureQueriesContext(connection) as one:
                by_key = getattr(Ticket.objects, rule)(user, by_key=True).filter(pk=ticket.pk).exists()
            assert by_key == listed, (persona, rule, ticket.title)
            assert len(one.captured_queries) <= 1
        events = set(events_for(ticket, user).values_list("pk", flat=True))
        assert events == set(TicketEvent.objects.visible_to(user).filter(ticket=ticket).values_list("pk", flat=True))


# --- the key form of the rule (ticket_visibility_keys), which the search index filters by ---


def test_visibility_keys_cover_every_visible_ticket_and_follow_sharing(
    requester, outsider, agent, engineer, manager, auditor, second_line
):
    from sopdesk.tickets.querysets import ticket_keys, ticket_visibility_keys

    colleague = factories.make_user("colleague", organization=requester.organization)
    tickets = [
        factories.make_ticket(requester),
        factories.make_ticket(colleague),
        factories.make_ticket(outsider),
        factories.make_ticket(engineer, actor=engineer),  # a staff member's own request
    ]
    Ticket.objects.filter(pk=tickets[2].pk).update(team=second_line)
    Ticket.objects.filter(pk=tickets[1].pk).update(assignee=agent)
    inactive = factories.make_user("gone", organization=requester.organization)
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    for sharing in (False, True):
        Organization.objects.filter(pk=requester.organization_id).update(shares_tickets=sharing)
        for user in (requester, colleague, outsider, agent, engineer, manager, auditor, inactive):
            user.refresh_from_db()
            keys = ticket_visibility_keys(user)
            visible = set(Ticket.objects.visible_to(user).values_list("pk", flat=True))
            for ticket in Ticket.objects.all():
                held = ticket_keys(
                    requester_id=ticket.requester_id,
                    organization_id=ticket.organization_id,
                    team_id=ticket.team_id,
                    assignee_id=ticket.assignee_id,
                )
                keyed = keys is None or bool(set(held) & set(keys))
                # Every visible ticket carries a key of the viewer's: the index never hides one.
                assert ticket.pk not in visible or keyed, (user.username, sharing, ticket.pk)
            if user.is_requester:
                # For requesters the keys are exact: the organisation's key only while it shares.
                assert (f"organization:{requester.organization_id}" in (keys or [])) == (
                    sharing and user.organization_id == requester.organization_id and user.is_active
                )
    assert ticket_visibility_keys(manager) is None
    assert ticket_visibility_keys(inactive) == []
