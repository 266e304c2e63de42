"""Every requester mail comes from its editable template, in the recipient's language, with number and link."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import User
from sopdesk.audit.models import ConfigChange
from sopdesk.notifications.choices import MailEvent
from sopdesk.notifications.mailtemplates import render_mail
from sopdesk.notifications.models import MailTemplate, OutboxMessage
from sopdesk.testing import factories
from sopdesk.tickets.actions import ClosureSummary, add_comment, assign_ticket, change_status
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLOSURE = ClosureSummary(problem="No network.", diagnosis="Unplugged cable.", solution="Plugged the cable in.")
HOSTILE = "<img src=x onerror=alert(1)> {{ request_url }} {% debug %}"


def walk_through_the_requester_mails(requester: User, agent: User, team_lead: User, *, title: str) -> Ticket:
    ticket = factories.make_ticket(requester, title=title, now=NOW)
    assign_ticket(ticket, team=None, assignee=agent, actor=team_lead, now=NOW)
    add_comment(ticket, actor=agent, body="Try port 14.", is_internal=False, now=NOW)
    change_status(ticket, to_status="pending_customer", actor=agent, now=NOW, reason="Which desk?")
    add_comment(ticket, actor=requester, body="Desk 12.", is_internal=False, now=NOW)
    change_status(ticket, to_status="resolved", actor=agent, now=NOW, closure=CLOSURE)
    return ticket


def requester_subjects(requester: User) -> list[str]:
    return list(OutboxMessage.objects.filter(recipient=requester).order_by("pk").values_list("subject", flat=True))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                "[{n}] We received your request: Desk",
                "[{n}] New reply: Desk",
                "[{n}] We need information from you: Desk",
                "[{n}] Solved, please confirm: Desk",
            ],
        ),
        (
            "zh-hans",
            [
                "[{n}] 我们已收到您的请求：Desk",
                "[{n}] 新的回复：Desk",
                "[{n}] 需要您补充信息：Desk",
                "[{n}] 已解决，请确认：Desk",
            ],
        ),
    ],
)
def test_each_requester_mail_is_in_their_language_with_the_number_and_the_link(
    requester: User, agent: User, team_lead: User, language: str, expected: list[str]
) -> None:
    User.objects.filter(pk=requester.pk).update(language=language)
    requester.refresh_from_db()
    ticket = walk_through_the_requester_mails(requester, agent, team_lead, title="Desk")
    assert requester_subjects(requester) == [subject.format(n=ticket.number) for subject in expected]
    link = f"http://testserver/portal/requests/{ticket.number}/"
    bodies = list(OutboxMessage.objects.filter(recipient=requester).values_list("body", flat=True))
    assert all(link in body for body in bodies)
    assert any("Try port 14." in body for body in bodies)
    assert any("Which desk?" in body for body in bodies)
    assert any("Plugged the cable in." in body for body in bodies)


def test_staff_still_get_the_plain_event_notice(requester: User, agent: User, team_lead: User) -> None:
    ticket = walk_through_the_requester_mails(requester, agent, team_lead, title="Desk")
    subjects = set(OutboxMessage.objects.filter(recipient=agent).values_list("subject", flat=True))
    assert f"[{ticket.number}] Desk: Assigned" in subjects


def test_a_hostile_title_and_reply_stay_text_in_every_mail(requester: User, agent: User, team_lead: User) -> None:
    ticket = walk_through_the_requester_mails(requester, agent, team_lead, title=HOSTILE)
    for subject in OutboxMessage.objects.filter(recipient=requester).values_list("subject", flat=True):
        assert subject.startswith(f"[{ticket.number}] ")
        assert subject.endswith(HOSTILE)
        assert "<img src=x onerror=alert(1)>" in subject
    reply = OutboxMessage.objects.get(recipient=requester, subject__contains="New reply")
    assert "\n\nTry port 14.\n\n" in reply.body


def test_an_edited_template_is_used_by_the_next_mail(requester: User, agent: User, team_lead: User) -> None:
    template = MailTemplate.objects.get(event=MailEvent.PUBLIC_REPLY, language="en")
    template.subject = "{{ ticket_number }} answered"
    template.body = "{{ message|upper }} — {{ request_url }}"
    template.full_clean()
    template.save()
    ticket = walk_through_the_requester_mails(requester, agent, team_lead, title="Desk")
    # The mail's subject keeps "[number]" for replies by mail, even when the template lost the brackets.
    reply = OutboxMessage.objects.get(recipient=requester, subject=f"[{ticket.number}] {ticket.number} answered")
    # Below the message, the quoted history (tickets.notifications.quoted_history).
    assert reply.body.startswith(f"TRY PORT 14. — http://testserver/portal/requests/{ticket.number}/\n\n-- \n")


def test_a_language_without_a_template_falls_back_to_the_desks_language(settings: Any) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    MailTemplate.objects.filter(language="en").delete()
    mail = render_mail(MailEvent.ACKNOWLEDGEMENT, language="en", values={"ticket_number": "TS-1", "ticket_title": "x"})
    assert mail is not None
    assert mail.subject == "[TS-1] 我们已收到您的请求：x"


def test_every_mail_ships_with_a_valid_default_in_both_languages() -> None:
    shipped = {(row.event, row.language): row for row in MailTemplate.objects.all()}
    assert set(shipped) == {(event, language) for event in MailEvent.values for language in ("en", "zh-hans")}
    for row in shipped.values():
        row.full_clean()
        assert "{{ ticket_number }}" in row.subject
        assert "{{ request_url }}" in row.body


def test_saving_a_template_with_an_unknown_variable_or_tag_is_refused() -> None:
    template = MailTemplate.objects.get(event=MailEvent.RESOLVED, language="en")
    template.subject = "{{ ticket.requester.password }}"
    template.body = "{% load static %}"
    with pytest.raises(ValidationError) as refused:
        template.full_clean()
    assert refused.value.message_dict == {
        "subject": ["Unknown variable “ticket.requester.password”."],
        "body": ["The tag “load” is not available in mail templates."],
    }


def test_the_admin_previews_a_template_and_refuses_a_broken_one(db: None) -> None:
    admin_user = factories.make_user("root", role=Role.ADMIN)
    User.objects.filter(pk=admin_user.pk).update(is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(User.objects.get(pk=admin_user.pk))
    template = MailTemplate.objects.get(event=MailEvent.AUTOCLOSE_REMINDER, language="en")
    page = reverse("admin:notifications_mailtemplate_change", args=[template.pk])
    response = client.get(page)
    assert response.status_code == 200
    assert "[TS-2026-000123] Reminder: your request closes on 15 Oct 2026, 15:00" in response.content.decode()
    response = client.post(
        page, {"event": template.event, "language": "en", "subject": "{{ secret }}", "body": "{% debug %}"}
    )
    assert response.status_code == 200
    assert "Unknown variable “secret”." in response.content.decode()
    template.refresh_from_db()
    assert template.subject.startswith("[{{ ticket_number }}]")
    response = client.post(
        page, {"event": template.event, "language": "en", "subject": "{{ ticket_number }} soon", "body": template.body}
    )
    assert response.status_code == 302
    change = ConfigChange.objects.get(object_type="notifications.mailtemplate", object_id=str(template.pk))
    assert change.after["subject"] == "{{ ticket_number }} soon"


# --- times in mails and the acknowledgement's shipped text ---------------------------------------


@pytest.mark.parametrize(
    ("language", "zone", "expected"),
    [
        ("zh-hans", "Asia/Shanghai", "2026年12月7日 14:00"),
        ("en", "Asia/Shanghai", "7 Dec 2026, 14:00"),
        ("en", "America/New_York", "7 Dec 2026, 01:00"),
        ("zh-hans", "America/New_York", "2026年12月7日 01:00"),
    ],
)
def test_a_time_in_a_mail_is_written_in_the_active_language_and_zone(language: str, zone: str, expected: str) -> None:
    from zoneinfo import ZoneInfo

    from django.utils import timezone, translation

    from sopdesk.notifications.mailtemplates import format_mail_time

    with translation.override(language), timezone.override(ZoneInfo(zone)):
        assert format_mail_time(datetime(2026, 12, 7, 6, 0, tzinfo=UTC)) == expected


def _acknowledgement_migration() -> Any:
    import importlib

    return importlib.import_module("sopdesk.notifications.migrations.0004_acknowledgement_states_expectations")


def test_the_shipped_acknowledgement_is_replaced_but_an_edited_one_is_kept() -> None:
    from django.apps import apps

    migration = _acknowledgement_migration()
    MailTemplate.objects.filter(event=MailEvent.ACKNOWLEDGEMENT).delete()
    old_subject, old_body = migration.OLD["en"]
    MailTemplate.objects.create(event=MailEvent.ACKNOWLEDGEMENT, language="en", subject=old_subject, body=old_body)
    edited = "Dear {{ recipient_name }}, thanks! {{ request_url }}"
    MailTemplate.objects.create(
        event=MailEvent.ACKNOWLEDGEMENT, language="zh-hans", subject=migration.OLD["zh-hans"][0], body=edited
    )

    migration.state_expectations(apps, None)

    english = MailTemplate.objects.get(event=MailEvent.ACKNOWLEDGEMENT, language="en")
    chinese = MailTemplate.objects.get(event=MailEvent.ACKNOWLEDGEMENT, language="zh-hans")
    assert (english.subject, english.body) == migration.NEW["en"]
    assert chinese.body == edited
    migration.restore_shipped_text(apps, None)
    english.refresh_from_db()
    assert english.body == old_body


def test_the_new_acknowledgement_texts_are_valid_templates_naming_every_expectation() -> None:
    from sopdesk.notifications.templating import template_errors

    migration = _acknowledgement_migration()
    for subject, body in migration.NEW.values():
        assert template_errors(subject) == []
        assert template_errors(body) == []
        for name in ("ticket_number", "first_response_due", "resolution_due", "service_hours", "contact_ways"):
            assert "{{ " + name + " }}" in body
        assert "{{ request_url }}" in body
    # 0005 builds on them: the help articles are added, everything else stays.
    assert _help_articles_migration().OLD == migration.NEW


def _help_articles_migration() -> Any:
    import importlib

    return importlib.import_module("sopdesk.notifications.migrations.0005_acknowledgement_help_articles")


def test_the_shipped_acknowledgement_links_help_articles_but_an_edited_one_is_kept() -> None:
    from django.apps import apps

    migration = _help_articles_migration()
    MailTemplate.objects.filter(event=MailEvent.ACKNOWLEDGEMENT).delete()
    MailTemplate.objects.create(
        event=MailEvent.ACKNOWLEDGEMENT, language="en", subject=migration.OLD["en"][0], body=migration.OLD["en"][1]
    )
    edited = "Dear {{ recipient_name }}, thanks! {{ request_url }}"
    MailTemplate.objects.create(
        event=MailEvent.ACKNOWLEDGEMENT, language="zh-hans", subject=migration.OLD["zh-hans"][0], body=edited
    )

    migration.link_help_articles(apps, None)

    english = MailTemplate.objects.get(event=MailEvent.ACKNOWLEDGEMENT, language="en")
    assert (english.subject, english.body) == migration.NEW["en"]
    assert MailTemplate.objects.get(event=MailEvent.ACKNOWLEDGEMENT, language="zh-hans").body == edited
    migration.restore_shipped_text(apps, None)
    english.refresh_from_db()
    assert english.body == migration.OLD["en"][1]


def test_the_shipped_acknowledgement_texts_name_the_help_articles() -> None:
    from sopdesk.notifications.templating import template_errors

    migration = _help_articles_migration()
    start, end = "{% if help_articles %}", "{% endif %}"
    for language, (subject, body) in migration.NEW.items():
        assert subject == migration.OLD[language][0]
        assert template_errors(body) == []
        assert "{{ help_articles }}" in body
        block = body[body.index(start) : body.index(end, body.index(start)) + len(end)]
        assert body.replace(block, "") == migration.OLD[language][1]
    # The database holds the latest shipped texts after migrating (no admin edit in a fresh test database).
    stored = MailTemplate.objects.get(event=MailEvent.ACKNOWLEDGEMENT, language="en")
    assert (stored.subject, stored.body) == migration.NEW["en"]
