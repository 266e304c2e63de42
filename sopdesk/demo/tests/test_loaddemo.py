"""The loaddemo command: what it creates, what it prints, and when it refuses."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import QuerySet
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Organization, Team, TeamMembership, User
from sopdesk.audit.models import ConfigChange
from sopdesk.casework.choices import CaseworkEventKind
from sopdesk.casework.models import (
    CannedResponse,
    DiagnosisStep,
    RemoteAssistanceAuthorization,
    SolutionPlan,
    VerificationResult,
)
from sopdesk.demo.directory import DEMO_LOGINS, DEMO_PASSWORD
from sopdesk.kb.models import Article
from sopdesk.search.models import PendingTicket
from sopdesk.search.tasks import schedule_indexing
from sopdesk.sla.choices import SlaEventKind
from sopdesk.sla.models import SlaPolicy, TicketSla
from sopdesk.tickets.actions import add_comment
from sopdesk.tickets.choices import EventKind, Priority, Status, TicketType
from sopdesk.tickets.models import Category, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def demo_mode(settings: Settings) -> None:
    settings.SOPDESK_DEMO_MODE = True


def story_tickets() -> QuerySet[Ticket]:
    """Return the tickets of the played histories, without those the demo's calls and alerts opened."""
    return Ticket.objects.exclude(alerts__isnull=False).exclude(phone_calls__created_ticket=True)


def load(*args: str) -> str:
    out = StringIO()
    call_command("loaddemo", *args, stdout=out)
    return out.getvalue()


@pytest.mark.usefixtures("demo_mode")
def test_the_seven_demo_accounts_sign_in_with_the_demo_password() -> None:
    load("--tickets", "0")
    users = User.objects.filter(username__in=DEMO_LOGINS)
    assert sorted(user.username for user in users) == sorted(DEMO_LOGINS)
    assert all(user.check_password(DEMO_PASSWORD) and user.is_active for user in users)


@pytest.mark.usefixtures("demo_mode")
def test_demo_accounts_have_the_roles_teams_and_organisations_the_readme_promises() -> None:
    load("--tickets", "0")
    users = {user.username: user for user in User.objects.select_related("organization__customer_level")}
    admin, agent, engineer, lead, manager = (users[name] for name in ("admin", "agent", "engineer", "lead", "manager"))
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.role == Role.ADMIN
    assert agent.role == Role.AGENT
    assert _teams(agent) == {"service-desk"}
    assert engineer.role == Role.ENGINEER
    assert _teams(engineer) == {"second-line", "network"}
    assert lead.role == Role.TEAM_LEAD
    assert TeamMembership.objects.get(user=lead, team__code="service-desk").is_lead
    assert manager.role == Role.MANAGER
    assert manager.is_staff
    assert not manager.is_superuser
    assert manager.has_perm("tickets.view_ticket")
    alice_org, bob_org = users["alice"].organization, users["bob"].organization
    assert users["alice"].is_requester
    assert alice_org is not None
    assert bob_org is not None
    assert alice_org != bob_org
    assert str(alice_org.customer_level) == "VIP"
    assert str(bob_org.customer_level) == "Standard"
    assert Organization.objects.filter(shares_tickets=True).exists()
    internal = Organization.objects.get(is_internal=True)
    assert internal.departments.count() >= 2
    assert agent.organization == internal
    assert Team.objects.get(is_intake=True).code == "service-desk"
    assert {team.code for team in Team.objects.all()} == {"service-desk", "second-line", "network", "rnd"}
    assert Category.objects.get(code="network-vpn").default_team == Team.objects.get(code="network")


def _teams(user: User) -> set[str]:
    return set(user.memberships.values_list("team__code", flat=True))


@pytest.mark.usefixtures("demo_mode")
def test_two_hundred_tickets_cover_every_status_priority_type_and_both_languages() -> None:
    started = timezone.now()
    load()
    tickets = list(story_tickets())
    assert len(tickets) == 200
    assert {t.status for t in tickets} == set(Status)
    assert {t.priority for t in tickets} == set(Priority)
    assert {t.ticket_type for t in tickets} == set(TicketType)
    assert len({t.channel for t in tickets}) >= 5
    assert len({t.category_id for t in tickets}) >= 10
    assert len({t.requester_id for t in tickets}) >= 8
    assert any(t.reopened_count for t in tickets)
    assert any(t.priority_is_overridden for t in tickets)
    chinese_share = sum(bool(CHINESE.search(t.title)) for t in tickets) / len(tickets)
    assert 0.45 <= chinese_share <= 0.75
    assert len({t.number for t in tickets}) == 200
    assert all(started - timedelta(days=61) <= t.created_at < started for t in tickets)
    assert all(t.has_closure_summary for t in tickets if t.status in (Status.RESOLVED, Status.CLOSED))


@pytest.mark.usefixtures("demo_mode")
def test_every_timeline_runs_forward_from_creation_and_ends_in_the_past() -> None:
    started = timezone.now()
    load("--tickets", "40")
    finished = timezone.now()
    for ticket in Ticket.objects.prefetch_related("events"):
        times = [event.created_at for event in ticket.events.all()]
        assert times == sorted(times)
        assert times[0] == ticket.created_at
        story = [at for at in times if at < started]
        # The scanner's catch-up records what the history ran into when the load ends.
        caught_up = times[len(story) :]
        assert all(at <= finished for at in caught_up)
        assert ticket.updated_at == story[-1] or started <= ticket.updated_at <= finished


@pytest.mark.usefixtures("demo_mode")
def test_the_demo_history_runs_into_sla_warnings_breaches_and_escalations() -> None:
    # A fixed weekday morning: whether 40 tickets' history runs into an escalation depends on
    # where the office hours fall in it (at lunchtime in Shanghai none did).
    with time_machine.travel(datetime(2026, 11, 18, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True):
        load("--tickets", "40")
        assert not TicketSla.objects.filter(next_check_at__lte=timezone.now()).exists()
    kinds = set(TicketEvent.objects.filter(kind__startswith="sla_").values_list("kind", flat=True))
    assert {SlaEventKind.SLA_WARNING, SlaEventKind.SLA_BREACHED, SlaEventKind.SLA_ESCALATED} <= kinds


@pytest.mark.usefixtures("demo_mode")
def test_the_demo_sla_settings_are_made_through_the_audited_configuration_actions() -> None:
    load("--tickets", "0")

    admin = User.objects.get(username="admin")
    changes = {change.object_repr: change for change in ConfigChange.objects.filter(object_type="sla.slapolicy")}
    policies = {policy.name: policy for policy in SlaPolicy.objects.select_related("backup_team")}
    assert set(changes) == set(policies)
    assert {change.actor for change in changes.values()} == {admin}
    for name, policy in policies.items():
        if policy.priority == Priority.P1:
            rules = changes[name].after["escalation_rules"]
            assert rules
            assert all(rule["contacts"] == ["manager"] for rule in rules)
            assert policy.backup_team is None
        else:
            assert changes[name].after == {"backup_team": "second-line"}
            assert policy.backup_team is not None
            assert policy.backup_team.code == "second-line"


@pytest.mark.usefixtures("demo_mode")
def test_a_small_load_still_reaches_every_status() -> None:
    load("--tickets", "20")
    assert story_tickets().count() == 20
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status)
    assert Ticket.objects.filter(reopened_count__gt=0).exists()


@pytest.mark.usefixtures("demo_mode")
def test_a_short_reopen_window_still_loads_reopened_tickets(settings: Settings) -> None:
    settings.SOPDESK_REOPEN_WINDOW_DAYS = 0
    load("--tickets", "30")
    assert Ticket.objects.filter(reopened_count__gt=0).exists()


@pytest.mark.usefixtures("demo_mode")
def test_internal_notes_exist_and_requesters_never_see_them() -> None:
    load("--tickets", "30")
    notes = TicketEvent.objects.filter(kind=EventKind.INTERNAL_NOTE)
    assert notes.exists()
    assert not notes.filter(is_internal=False).exists()
    for name in ("alice", "bob"):
        requester = User.objects.get(username=name)
        visible = TicketEvent.objects.visible_to(requester)
        assert visible.exists()
        assert not visible.filter(is_internal=True).exists()
    assert TicketEvent.objects.visible_to(User.objects.get(username="agent")).filter(is_internal=True).exists()


@pytest.mark.usefixtures("demo_mode")
def test_running_again_changes_nothing_and_repeats_the_logins() -> None:
    load("--tickets", "10")
    counts = (User.objects.count(), Ticket.objects.count(), TicketEvent.objects.count())
    output = load("--tickets", "10")
    assert (User.objects.count(), Ticket.objects.count(), TicketEvent.objects.count()) == counts
    assert "already loaded" in output
    assert all(name in output for name in DEMO_LOGINS)


@pytest.mark.usefixtures("demo_mode")
def test_an_existing_account_of_the_same_name_stops_the_load_without_failing() -> None:
    User.objects.create_user(username="admin", password="something-else")
    output = load("--tickets", "10")
    assert "admin" in output
    assert not Ticket.objects.exists()
    assert not User.objects.filter(username="alice").exists()


def test_loading_is_refused_outside_demo_mode(settings: Settings) -> None:
    settings.SOPDESK_DEMO_MODE = False
    with pytest.raises(CommandError, match="SOPDESK_DEMO_MODE"):
        load("--tickets", "5")
    assert not User.objects.exists()


def test_force_loads_outside_demo_mode(settings: Settings) -> None:
    settings.SOPDESK_DEMO_MODE = False
    load("--tickets", "5", "--force")
    assert story_tickets().count() == 5


@pytest.mark.usefixtures("demo_mode")
def test_a_negative_ticket_count_is_refused() -> None:
    with pytest.raises(CommandError, match="--tickets"):
        load("--tickets", "-1")


@pytest.mark.usefixtures("demo_mode")
def test_progress_and_the_logins_with_their_password_are_printed() -> None:
    output = load("--tickets", "30")
    assert "tickets 25/30" in output
    assert "tickets 30/30" in output
    assert DEMO_PASSWORD in output
    for name in DEMO_LOGINS:
        assert re.search(rf"^  {name} ", output, re.MULTILINE)


@pytest.mark.usefixtures("demo_mode")
def test_the_demo_history_sends_no_mail_but_later_actions_do(
    mailoutbox: list[Any], django_capture_on_commit_callbacks: type[DjangoCaptureOnCommitCallbacks]
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        load("--tickets", "30")
    # No notification was even scheduled; only the one search indexing job of the transaction
    # (and the knowledge base's article-changed announcements, which its followers index).
    assert [callback for callback in callbacks if callback.__module__ != "sopdesk.kb.hooks"] == [schedule_indexing]
    assert not PendingTicket.objects.exists()  # the demo's tickets are searchable
    assert Article.objects.filter(live_version__isnull=False).count() == 3
    assert mailoutbox == []
    agent = User.objects.get(username="agent")
    ticket = Ticket.objects.visible_to(agent).filter(requester__username="alice").first()
    assert ticket is not None
    with django_capture_on_commit_callbacks(execute=True):
        add_comment(ticket, actor=agent, body="Any news?", is_internal=False, now=timezone.now())
    assert [message.to for message in mailoutbox] == [[ticket.requester.email]]


@pytest.mark.usefixtures("demo_mode")
def test_the_demo_has_canned_responses_in_both_languages_and_one_record_of_each_kind() -> None:
    load("--tickets", "40")

    languages = set(CannedResponse.objects.filter(is_active=True).values_list("language", flat=True))
    assert languages == {"zh-hans", "en"}
    assert CannedResponse.objects.filter(team__code="service-desk").exists()
    assert CannedResponse.objects.filter(owner__username="agent").exists()
    (case,) = {
        DiagnosisStep.objects.get().ticket,
        RemoteAssistanceAuthorization.objects.get(state="granted").ticket,
        SolutionPlan.objects.get(state="confirmed").ticket,
        VerificationResult.objects.get(outcome="passed").ticket,
    }
    casework = [event.kind for event in case.events.all() if event.kind in CaseworkEventKind.values]
    assert casework == [
        "diagnosis_recorded",
        "remote_requested",
        "remote_granted",
        "plan_proposed",
        "plan_confirmed",
        "verification_recorded",
    ]
