"""Apps above tickets add values to the requester mails through registered providers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from django.utils import timezone, translation

from sopdesk.accounts.models import User
from sopdesk.notifications.choices import MailEvent
from sopdesk.testing import factories
from sopdesk.tickets.mailvalues import MailValue, _Providers, providers
from sopdesk.tickets.models import Ticket
from sopdesk.tickets.notifications import mail_values, recipient_zone

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Seen:
    """A provider that reports the language and zone it was asked in."""

    def mail_values(self, ticket: Ticket, *, mail_event: str) -> Mapping[str, MailValue]:
        return {"message": f"{mail_event} {translation.get_language()} {timezone.get_current_timezone_name()}"}


@pytest.fixture
def seen() -> Iterator[None]:
    providers.register(Seen())
    yield
    providers._providers[:] = [p for p in providers._providers if not isinstance(p, Seen)]


def test_a_provider_is_registered_once_per_class() -> None:
    registry = _Providers()
    registry.register(Seen())
    registry.register(Seen())

    assert len(registry.registered()) == 1


def test_a_provider_is_asked_in_the_recipients_language_and_zone(
    requester: User, service_desk: Any, seen: None
) -> None:
    ticket = factories.make_ticket(requester, now=NOW)
    requester.language, requester.time_zone = "en", "America/New_York"

    values = mail_values(ticket, requester, mail_event=MailEvent.ACKNOWLEDGEMENT)

    assert values["message"] == "acknowledgement en America/New_York"
    assert timezone.get_current_timezone_name() != "America/New_York"  # the override ended


def test_mail_values_format_times_and_run_in_the_recipients_language_and_zone(
    requester: User, service_desk: Any
) -> None:
    ticket = factories.make_ticket(requester, now=NOW)
    requester.language, requester.time_zone = "en", "Europe/London"

    values = mail_values(ticket, requester, mail_event=MailEvent.ACKNOWLEDGEMENT, close_date=NOW)

    assert values["close_date"] == "2 Mar 2026, 09:00"
    assert values["ticket_number"] == ticket.number
    assert all(isinstance(value, str) for value in values.values())


def test_an_unknown_or_empty_zone_falls_back_to_the_desks(requester: User) -> None:
    requester.time_zone = "Mars/Olympus_Mons"
    assert recipient_zone(requester).key == "Asia/Shanghai"
    requester.time_zone = ""
    assert recipient_zone(requester).key == "Asia/Shanghai"
