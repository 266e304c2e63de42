"""The SLA admin: calendars with hours and dates, policies with rules, read-only clocks and escalations."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from sopdesk.accounts.models import Team, User
from sopdesk.audit.models import ConfigChange
from sopdesk.sla.models import (
    Calendar,
    CalendarDate,
    EscalationRule,
    SlaEscalation,
    SlaPolicy,
    TicketSla,
    WorkingInterval,
)
from sopdesk.testing import factories
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def url(model: type[models.Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [str(item.pk if isinstance(item, models.Model) else item) for item in value]
    if isinstance(value, models.Model):
        return str(value.pk)
    return value


def form_data(response: Any) -> dict[str, Any]:
    """Return the POST data of an admin change page as it was rendered (main form and inlines)."""
    data: dict[str, Any] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, field in formset.management_form.fields.items():
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value() or field.initial or 0
        forms += formset.forms
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if isinstance(value, bool):
                if value:
                    data[form.add_prefix(name)] = "on"
                continue
            data[form.add_prefix(name)] = _value(value)
    return data


def add_inline_row(data: dict[str, Any], prefix: str, **fields: Any) -> None:
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = index + 1
    for name, value in fields.items():
        data[f"{prefix}-{index}-{name}"] = value


def errors_of(response: Any) -> str:
    """Return every error message on the re-rendered page, main form and inlines."""
    assert response.status_code == 200, "expected the form to be shown again with errors"
    messages = [str(response.context["adminform"].form.errors)]
    for inline in response.context["inline_admin_formsets"]:
        messages += [str(inline.formset.non_form_errors()), *(str(e) for e in inline.formset.errors)]
    return " ".join(messages)


@pytest.fixture
def office() -> Calendar:
    return Calendar.objects.get(code="office")


@pytest.fixture
def escalated_ticket(requester: User, service_desk: Team) -> Ticket:
    ticket = factories.make_ticket(requester, title="<b>Printer</b>")
    rule = EscalationRule.objects.filter(policy__priority=ticket.priority).first() or EscalationRule.objects.first()
    assert rule is not None
    now = timezone.now()
    SlaEscalation.objects.create(ticket=ticket, rule=rule, metric=rule.metric, threshold_at=now, fired_at=now)
    return ticket


# --- pages load -----------------------------------------------------------------------------


@pytest.mark.parametrize("model", [Calendar, CalendarDate, SlaPolicy, TicketSla, SlaEscalation])
def test_changelists_load(admin_client: Client, escalated_ticket: Ticket, model: type[models.Model]) -> None:
    assert admin_client.get(url(model, "changelist")).status_code == 200


@pytest.mark.parametrize(
    ("model", "shows_ticket"),
    [(Calendar, False), (CalendarDate, False), (SlaPolicy, False), (TicketSla, True), (SlaEscalation, True)],
)
def test_change_pages_load_and_escape_the_ticket_title(
    admin_client: Client, escalated_ticket: Ticket, model: type[models.Model], shows_ticket: bool
) -> None:
    row = model._default_manager.first()
    assert row is not None

    response = admin_client.get(url(model, "change", row.pk))

    assert response.status_code == 200
    assert b"<b>Printer" not in response.content
    assert (b"&lt;b&gt;Printer" in response.content) == shows_ticket


@pytest.mark.parametrize("model", [Calendar, CalendarDate, SlaPolicy])
def test_add_pages_load(admin_client: Client, model: type[models.Model]) -> None:
    assert admin_client.get(url(model, "add")).status_code == 200


def test_calendar_dates_filter_by_year(admin_client: Client, office: Calendar) -> None:
    response = admin_client.get(url(CalendarDate, "changelist"), {"year": "2026", "calendar__id__exact": office.pk})

    rows = list(response.context["cl"].queryset)
    assert rows
    assert {row.date.year for row in rows} == {2026}
    assert [row.date for row in rows] == sorted(row.date for row in rows)
    assert b"2025" in response.content  # offered as a filter choice


def test_ticket_clocks_are_found_by_ticket_number(admin_client: Client, escalated_ticket: Ticket) -> None:
    factories.make_ticket(escalated_ticket.requester, title="Another")

    response = admin_client.get(url(TicketSla, "changelist"), {"q": escalated_ticket.number})

    assert [row.pk for row in response.context["cl"].queryset] == [escalated_ticket.pk]


@pytest.mark.parametrize("model", [Calendar, SlaPolicy, TicketSla, SlaEscalation])
def test_kept_records_cannot_be_deleted_even_by_a_superuser(
    model: type[models.Model], admin_user: User, rf: RequestFactory
) -> None:
    request = rf.get("/")
    request.user = admin_user

    assert admin.site._registry[model].has_delete_permission(request) is False


@pytest.mark.parametrize("model", [TicketSla, SlaEscalation])
def test_clocks_and_escalations_are_read_only(model: type[models.Model], admin_user: User, rf: RequestFactory) -> None:
    request = rf.get("/")
    request.user = admin_user
    model_admin = admin.site._registry[model]

    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request) is False


# --- calendars ------------------------------------------------------------------------------


def test_adding_a_date_through_the_inline_bumps_the_revision(admin_client: Client, office: Calendar) -> None:
    data = form_data(admin_client.get(url(Calendar, "change", office.pk)))
    add_inline_row(data, "dates", date="2027-10-01", kind="holiday", name="国庆节", works_like="0")
    before = office.revision

    response = admin_client.post(url(Calendar, "change", office.pk), data)

    assert response.status_code == 302, errors_of(response)
    assert CalendarDate.objects.filter(calendar=office, date=date(2027, 10, 1), name="国庆节").exists()
    office.refresh_from_db()
    assert office.revision != before


def test_a_date_that_exists_already_is_refused_not_a_crash(admin_client: Client, office: Calendar) -> None:
    data = form_data(admin_client.get(url(Calendar, "change", office.pk)))
    # 2025 is not shown in the inline (earlier years are on the dates page), but it is taken.
    add_inline_row(data, "dates", date="2025-10-01", kind="holiday", name="dup", works_like="0")

    response = admin_client.post(url(Calendar, "change", office.pk), data)

    assert "already has an entry" in errors_of(response)
    assert CalendarDate.objects.get(calendar=office, date=date(2025, 10, 1)).name != "dup"


def test_an_overlapping_interval_is_rejected_with_a_message(admin_client: Client, office: Calendar) -> None:
    data = form_data(admin_client.get(url(Calendar, "change", office.pk)))
    add_inline_row(data, "intervals", weekday="0", starts_at="11:00", ends_at="14:00")
    before = (office.revision, WorkingInterval.objects.filter(calendar=office).count())

    response = admin_client.post(url(Calendar, "change", office.pk), data)

    assert "overlaps" in errors_of(response)
    office.refresh_from_db()
    assert (office.revision, WorkingInterval.objects.filter(calendar=office).count()) == before


def test_an_interval_that_ends_before_it_starts_is_rejected(admin_client: Client, office: Calendar) -> None:
    data = form_data(admin_client.get(url(Calendar, "change", office.pk)))
    add_inline_row(data, "intervals", weekday="5", starts_at="18:00", ends_at="09:00")

    response = admin_client.post(url(Calendar, "change", office.pk), data)

    assert "end after it starts" in errors_of(response)


def test_hours_can_be_rearranged_in_one_save(admin_client: Client, office: Calendar) -> None:
    data = form_data(admin_client.get(url(Calendar, "change", office.pk)))
    monday = [
        index
        for index in range(int(data["intervals-TOTAL_FORMS"]))
        if data[f"intervals-{index}-weekday"] == 0 or data[f"intervals-{index}-weekday"] == "0"
    ]
    morning, afternoon = monday
    # Both rows move: checked against the rows as stored, the new morning would overlap the old afternoon.
    data[f"intervals-{morning}-ends_at"] = "14:00"
    data[f"intervals-{afternoon}-starts_at"] = "14:00"

    response = admin_client.post(url(Calendar, "change", office.pk), data)

    assert response.status_code == 302, errors_of(response)
    rows = WorkingInterval.objects.filter(calendar=office, weekday=0).order_by("starts_at")
    assert [(row.starts_at, row.ends_at) for row in rows] == [(time(9), time(14)), (time(14), time(18))]


def test_a_new_calendar_with_overlapping_hours_is_rejected(admin_client: Client) -> None:
    data = form_data(admin_client.get(url(Calendar, "add")))
    data.update({"code": "branch", "name": "Branch", "time_zone": "Asia/Shanghai", "is_active": "on"})
    add_inline_row(data, "intervals", weekday="1", starts_at="09:00", ends_at="12:00")
    add_inline_row(data, "intervals", weekday="1", starts_at="10:00", ends_at="11:00")

    response = admin_client.post(url(Calendar, "add"), data)

    assert "overlaps" in errors_of(response)
    assert not Calendar.objects.filter(code="branch").exists()


def test_changing_the_time_zone_bumps_the_revision(admin_client: Client, office: Calendar) -> None:
    data = form_data(admin_client.get(url(Calendar, "change", office.pk)))
    data["time_zone"] = "Asia/Tokyo"
    before = office.revision

    response = admin_client.post(url(Calendar, "change", office.pk), data)

    assert response.status_code == 302, errors_of(response)
    office.refresh_from_db()
    assert office.time_zone == "Asia/Tokyo"
    assert office.revision != before


def test_an_unknown_time_zone_is_rejected(admin_client: Client, office: Calendar) -> None:
    data = form_data(admin_client.get(url(Calendar, "change", office.pk)))
    data["time_zone"] = "Mars/Olympus"

    response = admin_client.post(url(Calendar, "change", office.pk), data)

    assert "Unknown time zone" in errors_of(response)


def test_bulk_deleting_dates_bumps_each_calendar_revision(admin_client: Client, office: Calendar) -> None:
    ids = list(CalendarDate.objects.filter(calendar=office, date__year=2025).values_list("pk", flat=True))
    before = office.revision

    response = admin_client.post(
        url(CalendarDate, "changelist"), {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )

    assert response.status_code == 302
    assert not CalendarDate.objects.filter(calendar=office, date__year=2025).exists()
    office.refresh_from_db()
    assert office.revision != before


# --- policies -------------------------------------------------------------------------------


def policy_page(admin_client: Client, priority: str) -> tuple[SlaPolicy, dict[str, Any]]:
    policy = SlaPolicy.objects.get(priority=priority)
    return policy, form_data(admin_client.get(url(SlaPolicy, "change", policy.pk)))


def test_a_rule_that_does_nothing_is_rejected(admin_client: Client) -> None:
    policy, data = policy_page(admin_client, "P3")
    add_inline_row(data, "escalation_rules", metric="resolution", offset_minutes="0", is_active="on")

    response = admin_client.post(url(SlaPolicy, "change", policy.pk), data)

    assert "does nothing" in errors_of(response)
    assert not policy.escalation_rules.exists()


def test_a_rule_with_a_staff_contact_is_saved(admin_client: Client, engineer: User) -> None:
    policy, data = policy_page(admin_client, "P3")
    add_inline_row(
        data, "escalation_rules", metric="resolution", offset_minutes="-30", contacts=[str(engineer.pk)], is_active="on"
    )

    response = admin_client.post(url(SlaPolicy, "change", policy.pk), data)

    assert response.status_code == 302, errors_of(response)
    rule = policy.escalation_rules.get()
    assert list(rule.contacts.all()) == [engineer]
    assert rule.notify_team_lead is False


def test_a_requester_cannot_be_an_escalation_contact(admin_client: Client, requester: User) -> None:
    policy, data = policy_page(admin_client, "P3")
    add_inline_row(
        data,
        "escalation_rules",
        metric="resolution",
        offset_minutes="0",
        notify_team_lead="on",
        contacts=[str(requester.pk)],
    )

    response = admin_client.post(url(SlaPolicy, "change", policy.pk), data)

    assert "contacts" in str(errors_of(response))
    assert not policy.escalation_rules.exists()


def test_a_rule_that_fired_cannot_be_deleted(admin_client: Client, escalated_ticket: Ticket) -> None:
    escalation = SlaEscalation.objects.get(ticket=escalated_ticket)
    policy = escalation.rule.policy
    data = form_data(admin_client.get(url(SlaPolicy, "change", policy.pk)))
    index = next(
        i
        for i in range(int(data["escalation_rules-TOTAL_FORMS"]))
        if data[f"escalation_rules-{i}-id"] == escalation.rule_id
    )
    data[f"escalation_rules-{index}-DELETE"] = "on"

    response = admin_client.post(url(SlaPolicy, "change", policy.pk), data)

    assert "protected" in errors_of(response)
    assert EscalationRule.objects.filter(pk=escalation.rule_id).exists()


def test_a_rule_that_never_fired_can_be_deleted(admin_client: Client) -> None:
    policy, data = policy_page(admin_client, "P2")
    data["escalation_rules-0-DELETE"] = "on"
    before = policy.escalation_rules.count()

    response = admin_client.post(url(SlaPolicy, "change", policy.pk), data)

    assert response.status_code == 302, errors_of(response)
    assert policy.escalation_rules.count() == before - 1


def test_deactivated_calendars_cannot_be_chosen_for_a_policy(admin_client: Client) -> None:
    old = Calendar.objects.create(code="old", name="Old", is_24x7=True, is_active=False)
    policy, data = policy_page(admin_client, "P4")
    data["calendar"] = str(old.pk)

    response = admin_client.post(url(SlaPolicy, "change", policy.pk), data)

    assert "calendar" in response.context["adminform"].form.errors
    policy.refresh_from_db()
    assert policy.calendar.code == "office"


# --- the admin goes through the configuration actions ---------------------------------------


def main_errors(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 200, "expected the form to be shown again with errors"
    errors: dict[str, list[str]] = response.context["adminform"].form.errors
    return errors


def inline_formset(response: Any, prefix: str) -> Any:
    assert response.status_code == 200, "expected the form to be shown again with errors"
    return next(i.formset for i in response.context["inline_admin_formsets"] if i.formset.prefix == prefix)


def test_a_calendar_that_active_policies_use_cannot_be_deactivated(admin_client: Client, office: Calendar) -> None:
    data = form_data(admin_client.get(url(Calendar, "change", office.pk)))
    del data["is_active"]
    data["name"] = "Renamed in the same submission"

    response = admin_client.post(url(Calendar, "change", office.pk), data)

    assert "Active policies use this calendar" in " ".join(main_errors(response)["is_active"])
    office.refresh_from_db()
    assert office.is_active
    assert office.name != "Renamed in the same submission"  # the whole submission was rolled back
    assert not ConfigChange.objects.exists()


def test_a_calendar_that_no_policy_uses_can_be_deactivated(admin_client: Client, office: Calendar) -> None:
    SlaPolicy.objects.filter(calendar=office).update(is_active=False)
    data = form_data(admin_client.get(url(Calendar, "change", office.pk)))
    del data["is_active"]

    response = admin_client.post(url(Calendar, "change", office.pk), data)

    assert response.status_code == 302, errors_of(response)
    office.refresh_from_db()
    assert not office.is_active


def test_removing_every_working_hour_is_refused_above_the_hours(admin_client: Client, office: Calendar) -> None:
    data = form_data(admin_client.get(url(Calendar, "change", office.pk)))
    for index in range(int(data["intervals-TOTAL_FORMS"])):
        data[f"intervals-{index}-DELETE"] = "on"

    response = admin_client.post(url(Calendar, "change", office.pk), data)

    errors = inline_formset(response, "intervals").non_form_errors()
    assert "needs working hours" in " ".join(errors)
    assert WorkingInterval.objects.filter(calendar=office).count() == 10


def test_a_new_calendar_without_working_hours_is_refused(admin_client: Client) -> None:
    data = form_data(admin_client.get(url(Calendar, "add")))
    data.update({"code": "branch", "name": "Branch", "time_zone": "Asia/Shanghai", "is_active": "on"})

    response = admin_client.post(url(Calendar, "add"), data)

    assert "needs working hours" in " ".join(inline_formset(response, "intervals").non_form_errors())
    assert not Calendar.objects.filter(code="branch").exists()


def test_the_action_error_is_shown_at_the_interval_it_is_about(admin_client: Client, office: Calendar) -> None:
    data = form_data(admin_client.get(url(Calendar, "change", office.pk)))
    add_inline_row(data, "intervals", weekday="0", starts_at="11:00", ends_at="14:00")
    new_row = int(data["intervals-TOTAL_FORMS"]) - 1

    response = admin_client.post(url(Calendar, "change", office.pk), data)

    form = inline_formset(response, "intervals").forms[new_row]
    assert "overlaps" in " ".join(form.errors["starts_at"])


def test_a_new_calendar_is_created_and_recorded_through_the_action(admin_client: Client, admin_user: User) -> None:
    data = form_data(admin_client.get(url(Calendar, "add")))
    data.update({"code": "branch", "name": "Branch", "time_zone": "Asia/Shanghai", "is_active": "on"})
    add_inline_row(data, "intervals", weekday="1", starts_at="09:00", ends_at="17:00")
    add_inline_row(data, "dates", date="2027-10-01", kind="holiday", name="国庆节", works_like="0")

    response = admin_client.post(url(Calendar, "add"), data)

    assert response.status_code == 302, errors_of(response)
    calendar = Calendar.objects.get(code="branch")
    assert calendar.revision != 0
    assert [(row.weekday, row.starts_at, row.ends_at) for row in calendar.intervals.all()] == [(1, time(9), time(17))]
    created = ConfigChange.objects.get(object_type="sla.calendar")
    assert (created.actor, created.operation, created.object_id) == (admin_user, "created", str(calendar.pk))
    assert created.after["working_hours"] == [{"weekday": 1, "starts_at": "09:00", "ends_at": "17:00"}]
    holiday = ConfigChange.objects.get(object_type="sla.calendardate")
    assert holiday.after == {
        "calendar": "branch",
        "date": "2027-10-01",
        "kind": "holiday",
        "name": "国庆节",
        "works_like": None,
    }


def test_a_make_up_day_on_a_weekday_without_hours_is_refused_at_works_like(
    admin_client: Client, office: Calendar
) -> None:
    data = form_data(admin_client.get(url(Calendar, "change", office.pk)))
    add_inline_row(data, "dates", date="2027-10-09", kind="working_day", name="调休上班", works_like="5")
    new_row = int(data["dates-TOTAL_FORMS"]) - 1

    response = admin_client.post(url(Calendar, "change", office.pk), data)

    form = inline_formset(response, "dates").forms[new_row]
    assert "no working hours on Saturday" in " ".join(form.errors["works_like"])
    assert not CalendarDate.objects.filter(calendar=office, date=date(2027, 10, 9)).exists()


def test_the_dates_page_refuses_what_the_action_refuses_at_the_field(admin_client: Client, office: Calendar) -> None:
    response = admin_client.post(
        url(CalendarDate, "add"),
        {"calendar": office.pk, "date": "2027-10-09", "kind": "working_day", "name": "调休上班", "works_like": "6"},
    )

    assert "no working hours on Sunday" in " ".join(main_errors(response)["works_like"])
    assert not CalendarDate.objects.filter(date=date(2027, 10, 9)).exists()


def test_moving_a_date_on_the_dates_page_is_recorded_as_removal_and_entry(
    admin_client: Client, office: Calendar
) -> None:
    row = CalendarDate.objects.get(calendar=office, date=date(2026, 10, 1))
    data = {"calendar": office.pk, "date": "2026-10-15", "kind": "holiday", "name": "国庆节", "works_like": "0"}
    before = office.revision

    response = admin_client.post(url(CalendarDate, "change", row.pk), data)

    assert response.status_code == 302
    assert not CalendarDate.objects.filter(pk=row.pk).exists()
    assert CalendarDate.objects.get(calendar=office, date=date(2026, 10, 15)).kind == "holiday"
    assert list(ConfigChange.objects.order_by("id").values_list("operation", flat=True)) == ["deleted", "created"]
    office.refresh_from_db()
    assert office.revision != before


def test_deleting_a_date_on_the_dates_page_is_recorded(admin_client: Client, office: Calendar) -> None:
    row = CalendarDate.objects.get(calendar=office, date=date(2026, 10, 1))

    response = admin_client.post(url(CalendarDate, "delete", row.pk), {"post": "yes"})

    assert response.status_code == 302
    deleted = ConfigChange.objects.get()
    assert (deleted.operation, deleted.object_id, deleted.before["date"]) == ("deleted", str(row.pk), "2026-10-01")


def test_a_rule_on_a_metric_the_policy_has_no_target_for_is_refused_at_the_rule(admin_client: Client) -> None:
    policy, data = policy_page(admin_client, "P3")
    data["assignment_minutes"] = ""
    add_inline_row(
        data, "escalation_rules", metric="assignment", offset_minutes="0", notify_team_lead="on", is_active="on"
    )
    new_row = int(data["escalation_rules-TOTAL_FORMS"]) - 1

    response = admin_client.post(url(SlaPolicy, "change", policy.pk), data)

    form = inline_formset(response, "escalation_rules").forms[new_row]
    assert "would never fire" in " ".join(form.errors["metric"])
    policy.refresh_from_db()
    assert policy.assignment_minutes == 15
    assert not policy.escalation_rules.exists()


def test_removing_a_target_that_active_rules_watch_is_refused_at_the_target(admin_client: Client) -> None:
    policy, data = policy_page(admin_client, "P2")
    data["resolution_minutes"] = ""

    response = admin_client.post(url(SlaPolicy, "change", policy.pk), data)

    assert "Active escalation rules watch this target" in " ".join(main_errors(response)["resolution_minutes"])
    policy.refresh_from_db()
    assert policy.resolution_minutes == 240


def test_a_policy_change_in_the_admin_is_recorded_with_its_rules(admin_client: Client, admin_user: User) -> None:
    policy, data = policy_page(admin_client, "P3")
    data["resolution_minutes"] = "900"
    add_inline_row(
        data, "escalation_rules", metric="resolution", offset_minutes="-30", notify_team_lead="on", is_active="on"
    )

    response = admin_client.post(url(SlaPolicy, "change", policy.pk), data)

    assert response.status_code == 302, errors_of(response)
    change = ConfigChange.objects.get()
    assert (change.actor, change.object_type, change.object_id) == (admin_user, "sla.slapolicy", str(policy.pk))
    assert change.before == {"resolution_minutes": 450, "escalation_rules": []}
    rule = policy.escalation_rules.get()
    assert change.after == {
        "resolution_minutes": 900,
        "escalation_rules": [
            {
                "id": rule.pk,
                "metric": "resolution",
                "offset_minutes": -30,
                "notify_team_lead": True,
                "contacts": [],
                "reassign_to_team": None,
                "raise_priority": False,
                "is_active": True,
            }
        ],
    }


def test_a_new_policy_is_created_through_the_action(admin_client: Client, office: Calendar) -> None:
    data = form_data(admin_client.get(url(SlaPolicy, "add")))
    data.update({"name": "VIP P3", "order": "5", "priority": "P3", "calendar": office.pk, "resolution_minutes": "300"})
    data.update({"warning_percent": "80", "is_active": "on"})

    response = admin_client.post(url(SlaPolicy, "add"), data)

    assert response.status_code == 302, errors_of(response)
    policy = SlaPolicy.objects.get(name="VIP P3")
    assert (policy.order, policy.resolution_minutes, policy.calendar) == (5, 300, office)
    assert ConfigChange.objects.get().operation == "created"


def test_only_administrators_may_change_sla_settings_in_the_admin(manager: User, office: Calendar) -> None:
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    manager.user_permissions.set(Permission.objects.filter(content_type__app_label="sla"))
    client = Client()
    client.force_login(manager)

    assert client.get(url(Calendar, "change", office.pk)).status_code == 200  # view only
    response = client.post(url(Calendar, "change", office.pk), {"name": "Taken over"})
    assert response.status_code == 403
    assert client.get(url(SlaPolicy, "add")).status_code == 403
    office.refresh_from_db()
    assert office.name != "Taken over"
