"""Shared fixtures: the personas of STYLE.md, API clients for them, and real mail servers."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from sopdesk.accounts.actions import issue_token
from sopdesk.accounts.choices import Role, TeamTier
from sopdesk.accounts.models import Organization, Team, User
from sopdesk.testing import factories
from sopdesk.testing.mailservers import MailServerError, MailServers, missing_binaries


@pytest.fixture
def service_desk(db: None) -> Team:
    return factories.make_team("service-desk", is_intake=True)


@pytest.fixture
def second_line(db: None) -> Team:
    return factories.make_team("second-line", tier=TeamTier.SECOND_LINE)


@pytest.fixture
def org_a(db: None) -> Organization:
    return factories.make_organization("Org A")


@pytest.fixture
def org_b(db: None) -> Organization:
    return factories.make_organization("Org B")


@pytest.fixture
def requester(org_a: Organization) -> User:
    return factories.make_user("requester", organization=org_a)


@pytest.fixture
def outsider(org_b: Organization) -> User:
    """A requester of another organisation who must be refused everything of `requester`'s."""
    return factories.make_user("outsider", organization=org_b)


@pytest.fixture
def agent(service_desk: Team) -> User:
    return factories.make_user("agent", role=Role.AGENT, teams=[service_desk])


@pytest.fixture
def engineer(second_line: Team) -> User:
    return factories.make_user("engineer", role=Role.ENGINEER, teams=[second_line])


@pytest.fixture
def team_lead(service_desk: Team) -> User:
    return factories.make_user("lead", role=Role.TEAM_LEAD, lead_of=[service_desk])


@pytest.fixture
def manager(db: None) -> User:
    return factories.make_user("manager", role=Role.MANAGER)


@pytest.fixture
def auditor(db: None) -> User:
    return factories.make_user("auditor", role=Role.QA_AUDITOR)


ApiClientFactory = Callable[[User], Client]


@pytest.fixture
def api_client() -> ApiClientFactory:
    """Return a factory of test clients that authenticate as `user` with a real bearer token."""

    def make(user: User) -> Client:
        issued = issue_token(user=user, now=timezone.now())
        return Client(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")

    return make


def _mail_servers_unavailable(reason: str) -> None:
    # In CI a missing mail server is a failure, not a skipped test (.ci/run sets the variable).
    if os.environ.get("SOPDESK_REQUIRE_MAIL_SERVERS") == "1":
        pytest.fail(f"The mail server tests need Postfix and Dovecot: {reason}")
    pytest.skip(f"Mail servers unavailable: {reason}; scripts/test.sh installs them where it can")


@pytest.fixture(scope="session")
def mail_servers() -> Iterator[MailServers]:
    """Dovecot (IMAP, IMAPS, LMTP) and, as root, Postfix (SMTP) on loopback, one pair per test process.

    Tests keep apart by using addresses of their own (`mail_servers.new_address()`).
    """
    missing = missing_binaries()
    if missing:
        _mail_servers_unavailable(f"not installed: {', '.join(missing)}")
    servers = MailServers(root=Path(tempfile.mkdtemp(prefix="sopdesk-mail-")))
    try:
        try:
            servers.start()
        except MailServerError as exc:
            _mail_servers_unavailable(str(exc))
        yield servers
    finally:
        servers.stop()
        shutil.rmtree(servers.root, ignore_errors=True)


@pytest.fixture
def postfix(mail_servers: MailServers) -> MailServers:
    """The mail servers, for a test that also needs Postfix's SMTP (it needs root to start)."""
    if not mail_servers.has_postfix:
        _mail_servers_unavailable("Postfix needs root to start")
    return mail_servers
