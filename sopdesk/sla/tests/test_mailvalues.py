"""The acknowledgement mail tells the SLA's expectations: due times in the recipient's zone and language, hours."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import Settings

from sopdesk.accounts.models import User
from sopdesk.core import config_cache
from sopdesk.notifications.choices import MailEvent
from sopdesk.notifications.models import OutboxMessage
from sopdesk.sla.mailvalues import SlaMailValues
from sopdesk.sla.models import SlaPolicy
from sopdesk.testing import factories
from sopdesk.tickets.actions import TicketDraft, create_ticket
from sopdesk.tickets.mailvalues import providers
from sopdesk.tickets.models import Category, Ticket

pytestmark = pytest.mark.django_db

# Monday 17:00 in Beijing: an hour of office time left today.
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# single user, high urgency: P3 (first response 4 h, resolution one working day of 7.5 h, office hours).
P3 = {"impact": "single_user", "urgency": "high"}


@pytest.fixture(autouse=True)
def contacts(settings: Settings) -> None:
    settings.SOPDESK_SUPPORT_PHONE = "+86 10 5555 0100"
    settings.SOPDESK_SUPPORT_EMAIL = "help@example.com"


def acknowledgement(ticket: Ticket) -> OutboxMessage:
    return OutboxMessage.objects.get(recipient=ticket.requester, subject__startswith=f"[{ticket.number}]")


def with_profile(user: User, *, language: str, time_zone: str) -> User:
    user.language, user.time_zone = language, time_zone
    user.save(update_fields=["language", "time_zone"])
    return user


def test_the_sla_registers_its_mail_values() -> None:
    assert any(isinstance(provider, SlaMailValues) for provider in providers.registered())


def test_an_english_acknowledgement_states_times_in_the_recipients_own_zone(requester: User, service_desk: Any) -> None:
    with_profile(requester, language="en", time_zone="Europe/Berlin")

    ticket = factories.make_ticket(requester, title="VPN drops", now=NOW, **P3)

    mail = acknowledgement(ticket)
    # Due Tuesday 12:00 and 17:00 in Beijing, which is 05:00 and 10:00 in Berlin (UTC+1 in March).
    assert "Expected first response: 3 Mar 2026, 05:00\nExpected resolution: 3 Mar 2026, 10:00\n" in mail.body
    assert "Service hours:\nMonday – Friday: 09:00–12:00, 13:30–18:00\n" in mail.body
    assert "Times in Asia/Shanghai; public holidays excepted." in mail.body
    assert "Other ways to reach us:\nPhone: +86 10 5555 0100\nE-mail: help@example.com\n" in mail.body
    assert f"Your request: http://testserver/portal/requests/{ticket.number}/" in mail.body
    assert mail.subject == f"[{ticket.number}] We received your request: VPN drops"


def test_a_chinese_acknowledgement_states_times_in_the_desks_zone_when_the_recipient_has_none(
    requester: User, service_desk: Any
) -> None:
    with_profile(requester, language="zh-hans", time_zone="")

    ticket = factories.make_ticket(requester, title="VPN 断线", now=NOW, **P3)

    mail = acknowledgement(ticket)
    assert "预计首次响应：2026年3月3日 12:00\n预计解决：2026年3月3日 17:00" in mail.body
    assert "服务时间：\n星期一 – 星期五: 09:00–12:00, 13:30–18:00\n" in mail.body
    assert "其他联系方式：\n电话: +86 10 5555 0100\n" in mail.body
    assert f"查看您的请求：http://testserver/portal/requests/{ticket.number}/" in mail.body
    assert mail.subject == f"[{ticket.number}] 我们已收到您的请求：VPN 断线"


def test_a_round_the_clock_policy_says_so(requester: User, service_desk: Any) -> None:
    with_profile(requester, language="en", time_zone="Asia/Shanghai")

    ticket = factories.make_ticket(requester, now=NOW, impact="organization", urgency="high")

    assert ticket.priority == "P1"
    mail = acknowledgement(ticket)
    # 15 min and 2 h from Monday 17:00, every hour counting.
    assert "Expected first response: 2 Mar 2026, 17:15\nExpected resolution: 2 Mar 2026, 19:00\n" in mail.body
    assert "Service hours:\nAround the clock, every day (24×7)\n" in mail.body


def test_without_a_policy_the_mail_says_so_and_shows_the_desks_default_calendar(
    requester: User, service_desk: Any, settings: Settings
) -> None:
    with_profile(requester, language="en", time_zone="")
    SlaPolicy.objects.update(is_active=False)
    config_cache.bump()  # a bulk update sends no signal
    settings.SOPDESK_DEFAULT_CALENDAR = "office"

    ticket = factories.make_ticket(requester, now=NOW, **P3)

    mail = acknowledgement(ticket)
    assert "Expected first response: as soon as we can during service hours\n" in mail.body
    assert "Expected resolution: we will tell you once we know more\n" in mail.body
    assert "Service hours:\nMonday – Friday: 09:00–12:00, 13:30–18:00\n" in mail.body


def test_without_a_policy_or_default_calendar_and_contacts_those_parts_are_left_out(
    requester: User, service_desk: Any, settings: Settings
) -> None:
    with_profile(requester, language="zh-hans", time_zone="")
    SlaPolicy.objects.update(is_active=False)
    config_cache.bump()
    settings.SOPDESK_DEFAULT_CALENDAR = ""
    settings.SOPDESK_SUPPORT_PHONE = settings.SOPDESK_SUPPORT_EMAIL = ""

    ticket = factories.make_ticket(requester, now=NOW, **P3)

    body = acknowledgement(ticket).body
    assert "预计首次响应：服务时间内尽快\n预计解决：了解更多情况后我们会通知您\n\n您可以在请求页面" in body
    assert "服务时间：" not in body
    assert "其他联系方式" not in body


def create(requester: User, category: Category | None = None) -> Ticket:
    draft = TicketDraft(details={"title": "VPN drops", **P3}, category=category)
    return create_ticket(actor=requester, requester=requester, draft=draft, now=NOW)


def test_the_acknowledgement_values_cost_no_query_when_a_ticket_is_created(requester: User, service_desk: Any) -> None:
    with_profile(requester, language="en", time_zone="")
    network = Category.objects.get(code="network")
    create(requester, network)  # fills the cached configuration and calendars

    with CaptureQueriesContext(connection) as context:
        ticket = create(requester, network)

    # The stamp, the number, the ticket, its event, its clocks, the search index's note, the
    # outbox's two inserts and the savepoint pair: the mail's due times and service hours come from
    # the clocks just started.
    assert len(context.captured_queries) == 10, [query["sql"][:80] for query in context.captured_queries]
    assert "Expected first response: 3 Mar 2026, 12:00\n" in acknowledgement(ticket).body


def test_a_ticket_loaded_afresh_reads_its_clocks_and_calendar_in_one_query(
    requester: User, service_desk: Any, django_assert_num_queries: Any
) -> None:
    created = create(requester)
    ticket = Ticket.objects.get(pk=created.pk)

    with django_assert_num_queries(1):
        values = SlaMailValues().mail_values(ticket, mail_event=MailEvent.ACKNOWLEDGEMENT)

    assert values["first_response_due"] == created.sla.first_response_due_at
    assert values["resolution_due"] == created.sla.resolution_due_at
    assert "09:00–12:00, 13:30–18:00" in str(values["service_hours"])


def test_other_mails_get_no_sla_values(requester: User, service_desk: Any, django_assert_num_queries: Any) -> None:
    ticket = Ticket.objects.get(pk=create(requester).pk)

    with django_assert_num_queries(0):
        assert SlaMailValues().mail_values(ticket, mail_event=MailEvent.PUBLIC_REPLY) == {}
