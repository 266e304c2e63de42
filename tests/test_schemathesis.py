"""Property-based run against the WSGI app: whatever schemathesis sends, the API never answers 5xx.

Bounded (few examples per operation plus schemathesis' deterministic boundary cases) and
derandomized, so it is stable and quick enough for every run. Requests rotate between three
callers: the generated ticket number as an agent, and the real ticket (and attachment) as the
agent and as the ticket's requester, so validation behind the permission checks is reached too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from sopdesk.accounts.actions import issue_token
from sopdesk.accounts.models import Team, User
from sopdesk.core.management.commands.export_openapi import render_schema
from sopdesk.testing import factories
from sopdesk.tickets import actions
from sopdesk.tickets.models import Ticket

MAX_EXAMPLES = 20

schema = schemathesis.openapi.from_dict(json.loads(render_schema()))
# Credentials are ours (real tokens below), not generated ones that would only ever get a 401.
schema.config.generation.update(with_security_parameters=False, deterministic=True, database="none")


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """Return Django's WSGI application without connection recycling between requests.

    A real server closes stale connections on each request; inside a test that would close the
    test's own transaction. Django's test client switches this off the same way.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


class Callers:
    """Real bearer tokens of an agent and a requester, and a real ticket with an attachment."""

    def __init__(self, agent: User, requester: User, ticket: Ticket, attachment_id: int) -> None:
        now = timezone.now()
        self.agent = {"Authorization": f"Bearer {issue_token(user=agent, now=now).raw}"}
        self.requester = {"Authorization": f"Bearer {issue_token(user=requester, now=now).raw}"}
        self.ticket = ticket
        self.attachment_id = attachment_id
        self.sent = 0

    def prepare(self, case: Any) -> dict[str, str]:
        """Rotate, case by case, between three callers; return the headers to send `case` with.

        The generated ticket number as the agent (lookups of arbitrary numbers), then the real
        ticket as the agent and as its requester (validation behind the permission checks).
        """
        turn = self.sent % 3
        self.sent += 1
        if turn and case.path_parameters and "number" in case.path_parameters:
            case.path_parameters["number"] = self.ticket.number
            if "attachment_id" in case.path_parameters:
                case.path_parameters["attachment_id"] = self.attachment_id
        return self.requester if turn == 2 else self.agent


@pytest.fixture
def callers(db: None, agent: User, requester: User, service_desk: Team) -> Callers:
    ticket = factories.make_ticket(requester, title="Printer prints blank pages")
    attachment = actions.add_attachment(
        ticket,
        actor=requester,
        upload=SimpleUploadedFile("printer.log", b"ERROR 42\n", content_type="text/plain"),
        is_internal=False,
        now=timezone.now(),
    )
    return Callers(agent, requester, ticket, attachment.pk)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_request_makes_the_api_answer_with_a_server_error(
    case: Any, wsgi_app: WSGIHandler, callers: Callers
) -> None:
    headers = callers.prepare(case)
    case.call_and_validate(app=wsgi_app, headers=headers, checks=[not_a_server_error])
