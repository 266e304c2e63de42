"""Who gets into the customer portal."""

from __future__ import annotations

import pytest
from django.test import Client

from sopdesk.accounts.models import User
from sopdesk.testing import factories

pytestmark = pytest.mark.django_db


def test_visitors_are_sent_to_the_login_page(db: None) -> None:
    response = Client().get("/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_staff_are_sent_to_the_workspace(agent: User) -> None:
    client = Client()
    client.force_login(agent)
    assert client.get("/portal/")["Location"] == "/desk/"


def test_a_requester_sees_only_what_they_may_follow(requester: User, agent: User) -> None:
    factories.make_ticket(requester)
    client = Client()
    client.force_login(requester)
    response = client.get("/portal/")
    assert response.status_code == 200
    assert "Printer on floor 3 prints blank pages" in response.content.decode()
