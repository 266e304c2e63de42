"""Titles, tags and other single-line names refuse bidirectional overrides and zero-width characters."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from conftest import ApiClientFactory
from sopdesk.accounts.models import ApiToken, Team, User
from sopdesk.testing import factories
from sopdesk.testing.factories import PASSWORD
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets"
# "Refund exe.pdf" displayed, "Refund fdp.exe" stored; and look-alikes with invisible characters.
DISGUISED = ["Refund \u202efdp.exe", "ad\u200bmin", "VPN\u2066 down\u2069", "two\nlines", "\ufeffPrinter"]


def refused_field(response: Any) -> str | None:
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert len(errors) == 1
    field: str | None = errors[0]["field"]
    return field


@pytest.fixture
def agent_client(api_client: ApiClientFactory, agent: User, service_desk: Team) -> Client:
    return api_client(agent)


@pytest.mark.parametrize("title", DISGUISED)
def test_a_disguised_title_is_refused_on_create_and_edit(agent_client: Client, requester: User, title: str) -> None:
    ticket = factories.make_ticket(requester, title="Printer jams")

    created = agent_client.post(TICKETS, {"title": title}, content_type="application/json")
    edited = agent_client.patch(f"{TICKETS}/{ticket.number}", {"title": title}, content_type="application/json")

    assert refused_field(created) == "title"
    assert refused_field(edited) == "title"
    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.title == "Printer jams"


@pytest.mark.parametrize("field", ["contact_name", "business_module", "software_version"])
def test_other_single_line_ticket_fields_refuse_them_too(agent_client: Client, field: str) -> None:
    response = agent_client.post(TICKETS, {"title": "ok", field: "x\u202ey"}, content_type="application/json")
    assert refused_field(response) == field


def test_a_disguised_tag_is_refused(agent_client: Client) -> None:
    response = agent_client.post(
        TICKETS, {"title": "ok", "tags": ["vpn", "urgent\u200b"]}, content_type="application/json"
    )
    assert refused_field(response) == "tags"


def test_long_text_keeps_its_line_breaks(agent_client: Client) -> None:
    response = agent_client.post(
        TICKETS, {"title": "ok", "description": "line 1\nline 2"}, content_type="application/json"
    )
    assert response.status_code == 201


def test_a_title_in_chinese_with_punctuation_is_accepted(agent_client: Client) -> None:
    response = agent_client.post(TICKETS, {"title": "打印机卡纸（三楼）— 紧急"}, content_type="application/json")
    assert response.status_code == 201


@pytest.mark.parametrize("name", ["laptop\u202e", "ci\u200bjob"])
def test_a_disguised_token_name_is_refused(requester: User, name: str) -> None:
    response = Client().post(
        "/api/v1/auth/token",
        {"username": "requester", "password": PASSWORD, "name": name},
        content_type="application/json",
    )
    assert refused_field(response) == "name"
    assert not ApiToken.objects.exists()


def test_a_disguised_calendar_name_is_refused(api_client: ApiClientFactory) -> None:
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    payload = {"code": "office2", "name": "Office\u202e", "time_zone": "Asia/Shanghai"}

    response = api_client(root).post("/api/v1/sla/calendars", payload, content_type="application/json")

    assert refused_field(response) == "name"
