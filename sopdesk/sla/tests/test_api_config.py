"""The SLA configuration API: calendars, their dates and policies; administrators change, managers read."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import ApiClientFactory
from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.sla.calendars import to_business_calendar
from sopdesk.sla.choices import DateKind
from sopdesk.sla.models import Calendar, CalendarDate, EscalationRule, SlaEscalation, SlaPolicy, WorkingInterval
from sopdesk.testing import factories
from sopdesk.tickets.models import Category

pytestmark = pytest.mark.django_db

SLA = "/api/v1/sla"
OFFICE_HOURS = [
    {"weekday": day, "starts_at": start, "ends_at": end}
    for day in range(5)
    for start, end in (("09:00", "12:00"), ("13:30", "18:00"))
]


@pytest.fixture
def admin(db: None) -> User:
    return factories.make_user("admin", role=Role.ADMIN)


@pytest.fixture
def admin_api(api_client: ApiClientFactory, admin: User) -> Client:
    return api_client(admin)


@pytest.fixture
def manager_api(api_client: ApiClientFactory, manager: User) -> Client:
    return api_client(manager)


def fields_of(response: Any) -> list[str | None]:
    assert response["Content-Type"].startswith("application/json"), response.content
    return [error["field"] for error in response.json()["errors"]]


def assert_refused(response: Any, field: str | None, *, status: int = 422) -> None:
    """Assert a 4xx answer of the error format that names `field`."""
    assert response.status_code == status, response.content
    assert response.json()["detail"]
    if field is not None:
        assert field in fields_of(response), response.json()


def post(client: Client, url: str, payload: Any) -> Any:
    return client.post(url, payload, content_type="application/json")


def patch(client: Client, url: str, payload: Any) -> Any:
    return client.patch(url, payload, content_type="application/json")


def put(client: Client, url: str, payload: Any) -> Any:
    return client.put(url, payload, content_type="application/json")


def revision(code: str) -> int:
    return Calendar.objects.get(code=code).revision


def new_calendar(**overrides: Any) -> dict[str, Any]:
    return {"code": "shenzhen", "name": "深圳 Office", "working_hours": OFFICE_HOURS, **overrides}


def new_policy(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "VIP network P2",
        "priority": "P2",
        "calendar": "office",
        "assignment_minutes": 10,
        "first_response_minutes": 20,
        "resolution_minutes": 180,
        **overrides,
    }


# --- permissions ----------------------------------------------------------------------------

READS = [
    ("get", "/calendars"),
    ("get", "/calendars/office"),
    ("get", "/calendars/office/dates?year=2026"),
    ("get", "/policies"),
]
WRITES = [
    ("post", "/calendars", new_calendar()),
    ("patch", "/calendars/office", {"name": "Renamed"}),
    ("put", "/calendars/office/dates/2027-10-01", {"kind": "holiday", "name": "国庆节"}),
    ("delete", "/calendars/office/dates/2026-10-01", None),
    ("post", "/policies", new_policy()),
    ("patch", "/policies/1", {"name": "Renamed"}),
]


def call(client: Client, method: str, url: str, payload: Any = None) -> Any:
    if method in {"get", "delete"}:
        return getattr(client, method)(SLA + url)
    return getattr(client, method)(SLA + url, payload, content_type="application/json")


@pytest.mark.parametrize("persona", ["requester", "outsider", "agent", "engineer", "team_lead", "auditor"])
def test_only_administrators_and_managers_may_read_the_configuration(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, persona: str
) -> None:
    client = api_client(request.getfixturevalue(persona))

    for method, url in READS:
        assert_refused(call(client, method, url), None, status=403)


@pytest.mark.parametrize("persona", ["requester", "outsider", "agent", "team_lead", "manager", "auditor"])
def test_only_administrators_may_change_the_configuration(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, persona: str
) -> None:
    client = api_client(request.getfixturevalue(persona))
    before = (revision("office"), CalendarDate.objects.count(), SlaPolicy.objects.count(), Calendar.objects.count())

    for method, url, payload in WRITES:
        assert_refused(call(client, method, url, payload), None, status=403)

    assert (revision("office"), CalendarDate.objects.count(), SlaPolicy.objects.count(), Calendar.objects.count()) == (
        before
    )
    assert not SlaPolicy.objects.filter(name="Renamed").exists()


def test_managers_read_the_configuration(manager_api: Client) -> None:
    for method, url in READS:
        assert call(manager_api, method, url).status_code == 200, url


def test_anonymous_callers_get_401() -> None:
    response = Client().get(f"{SLA}/calendars")

    assert response.status_code == 401
    assert response.json()["detail"]


def test_a_superuser_of_any_role_may_change_the_configuration(api_client: ApiClientFactory) -> None:
    root = factories.make_user("root", role=Role.AGENT)
    root.is_superuser = True
    root.save(update_fields=["is_superuser"])

    response = patch(api_client(root), f"{SLA}/calendars/office", {"name": "Office"})

    assert response.status_code == 200, response.content


def test_a_deactivated_administrator_is_refused(api_client: ApiClientFactory, admin: User) -> None:
    client = api_client(admin)
    admin.is_active = False
    admin.save(update_fields=["is_active"])

    assert client.get(f"{SLA}/calendars").status_code == 401


# --- calendars ------------------------------------------------------------------------------


def test_calendar_list_shows_the_seeded_calendars_with_hours_and_covered_years(admin_api: Client) -> None:
    page = admin_api.get(f"{SLA}/calendars").json()

    assert page["count"] == 2
    office = next(item for item in page["items"] if item["code"] == "office")
    always = next(item for item in page["items"] if item["code"] == "24x7")
    assert office["time_zone"] == "Asia/Shanghai"
    assert office["working_hours"] == OFFICE_HOURS
    assert office["years_with_dates"] == [2025, 2026]
    assert always["is_24x7"] is True
    assert always["working_hours"] == []


def test_calendar_list_filters_and_paginates(admin_api: Client) -> None:
    Calendar.objects.create(code="old", name="Old", is_24x7=True, is_active=False)

    active = admin_api.get(f"{SLA}/calendars", {"is_active": "true"}).json()
    inactive = admin_api.get(f"{SLA}/calendars", {"is_active": "false"}).json()
    second = admin_api.get(f"{SLA}/calendars", {"limit": 1, "offset": 1}).json()

    assert {item["code"] for item in active["items"]} == {"office", "24x7"}
    assert [item["code"] for item in inactive["items"]] == ["old"]
    assert second["count"] == 3
    assert len(second["items"]) == 1


def test_calendar_list_query_count_does_not_grow_with_rows(admin_api: Client) -> None:
    def queries_for(total: int) -> int:
        while Calendar.objects.count() < total:
            calendar = Calendar.objects.create(code=f"c{Calendar.objects.count()}", name="C")
            WorkingInterval.objects.create(calendar=calendar, weekday=0, starts_at="09:00", ends_at="17:00")
            CalendarDate.objects.create(calendar=calendar, date=date(2026, 5, 1), kind=DateKind.HOLIDAY)
        admin_api.get(f"{SLA}/calendars")
        with CaptureQueriesContext(connection) as context:
            response = admin_api.get(f"{SLA}/calendars", {"limit": 100})
        assert len(response.json()["items"]) == total
        return len(context.captured_queries)

    assert queries_for(3) == queries_for(30)


def test_admin_creates_a_calendar_with_working_hours(admin_api: Client) -> None:
    payload = new_calendar(
        time_zone="Asia/Hong_Kong",
        working_hours=[
            {"weekday": 5, "starts_at": "22:00", "ends_at": "24:00"},
            {"weekday": 0, "starts_at": "09:00", "ends_at": "18:00"},
        ],
    )

    response = post(admin_api, f"{SLA}/calendars", payload)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"] == "shenzhen"
    assert body["time_zone"] == "Asia/Hong_Kong"
    assert body["years_with_dates"] == []
    # Sorted by weekday; an end at midnight reads 00:00, as the model stores it.
    assert body["working_hours"] == [
        {"weekday": 0, "starts_at": "09:00", "ends_at": "18:00"},
        {"weekday": 5, "starts_at": "22:00", "ends_at": "00:00"},
    ]
    calendar = Calendar.objects.get(code="shenzhen")
    assert calendar.revision >= 1
    assert to_business_calendar(calendar).zone.key == "Asia/Hong_Kong"


def test_a_24x7_calendar_needs_no_hours(admin_api: Client) -> None:
    response = post(admin_api, f"{SLA}/calendars", {"code": "noc", "name": "NOC", "is_24x7": True})

    assert response.status_code == 201, response.content
    assert response.json()["is_24x7"] is True


def test_an_active_office_calendar_without_hours_is_refused(admin_api: Client) -> None:
    assert_refused(post(admin_api, f"{SLA}/calendars", new_calendar(working_hours=[])), "working_hours")
    assert not Calendar.objects.filter(code="shenzhen").exists()


def test_a_taken_calendar_code_is_409(admin_api: Client) -> None:
    assert_refused(post(admin_api, f"{SLA}/calendars", new_calendar(code="office")), "code", status=409)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "has space"}, "code"),
        ({"code": "x" * 51}, "code"),
        ({"code": ""}, "code"),
        ({"code": "办公"}, "code"),
        ({"code": 12}, "code"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "bad\x00name"}, "name"),
        ({"name": "bell\x07"}, "name"),
        ({"name": None}, "name"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "localtime"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"time_zone": "x" * 65}, "time_zone"),
        ({"time_zone": 8}, "time_zone"),
        ({"is_24x7": "maybe"}, "is_24x7"),
        ({"is_active": [1]}, "is_active"),
        ({"working_hours": "9-18"}, "working_hours"),
        ({"working_hours": [{"weekday": 7, "starts_at": "09:00", "ends_at": "10:00"}]}, "working_hours.0.weekday"),
        ({"working_hours": [{"weekday": -1, "starts_at": "09:00", "ends_at": "10:00"}]}, "working_hours.0.weekday"),
        ({"working_hours": [{"weekday": 0, "starts_at": "9:00", "ends_at": "10:00"}]}, "working_hours.0.starts_at"),
        ({"working_hours": [{"weekday": 0, "starts_at": "24:00", "ends_at": "10:00"}]}, "working_hours.0.starts_at"),
        ({"working_hours": [{"weekday": 0, "starts_at": "09:00", "ends_at": "25:00"}]}, "working_hours.0.ends_at"),
        ({"working_hours": [{"weekday": 0, "starts_at": "09:00:30", "ends_at": "10:00"}]}, "working_hours.0.starts_at"),
        ({"working_hours": [{"weekday": 0, "starts_at": "09:00"}]}, "working_hours.0.ends_at"),
        (
            {"working_hours": [{"weekday": 0, "starts_at": "09:00", "ends_at": "10:00", "lunch": True}]},
            "working_hours.0.lunch",
        ),
        ({"revision": 99}, "revision"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_calendar_input_is_422_naming_the_field(admin_api: Client, changes: dict[str, Any], field: str) -> None:
    assert_refused(post(admin_api, f"{SLA}/calendars", new_calendar(**changes)), field)
    assert not Calendar.objects.exclude(code__in=["office", "24x7"]).exists()


def test_working_hours_problems_name_the_row_and_field(admin_api: Client) -> None:
    hours = [
        {"weekday": 0, "starts_at": "09:00", "ends_at": "12:00"},
        {"weekday": 1, "starts_at": "09:00", "ends_at": "12:00"},
        {"weekday": 0, "starts_at": "18:00", "ends_at": "09:00"},
        {"weekday": 0, "starts_at": "11:00", "ends_at": "13:00"},
        {"weekday": 0, "starts_at": "13:00", "ends_at": "00:00"},
    ]

    response = post(admin_api, f"{SLA}/calendars", new_calendar(working_hours=hours))

    assert_refused(response, "working_hours[2].ends_at")
    assert fields_of(response) == ["working_hours[2].ends_at", "working_hours[3].starts_at"]
    assert "overlaps" in response.json()["errors"][1]["message"]


def test_touching_intervals_and_an_interval_until_midnight_are_fine(admin_api: Client) -> None:
    hours = [
        {"weekday": 0, "starts_at": "00:00", "ends_at": "12:00"},
        {"weekday": 0, "starts_at": "12:00", "ends_at": "00:00"},
    ]

    assert post(admin_api, f"{SLA}/calendars", new_calendar(working_hours=hours)).status_code == 201


def test_get_calendar_returns_one_calendar(admin_api: Client) -> None:
    body = admin_api.get(f"{SLA}/calendars/office").json()

    assert body["code"] == "office"
    assert body["revision"] == revision("office")


@pytest.mark.parametrize(
    ("code", "status"),
    [("nope", 404), ("x" * 50, 404), ("office\x00", 422), ("x" * 51, 422)],
)
def test_unknown_calendar_codes_are_404_and_malformed_ones_422(admin_api: Client, code: str, status: int) -> None:
    response = admin_api.get(f"{SLA}/calendars/{code}")

    assert response.status_code == status, response.content
    assert fields_of(response) == ["code"]


def test_patch_renames_without_touching_the_revision(admin_api: Client) -> None:
    before = revision("office")

    response = patch(admin_api, f"{SLA}/calendars/office", {"name": "Beijing office"})

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Beijing office"
    assert revision("office") == before


def test_patch_time_zone_bumps_the_revision_so_cached_calendars_follow(admin_api: Client) -> None:
    office = Calendar.objects.get(code="office")
    assert to_business_calendar(office).zone.key == "Asia/Shanghai"

    response = patch(admin_api, f"{SLA}/calendars/office", {"time_zone": "Asia/Tokyo"})

    assert response.status_code == 200, response.content
    office.refresh_from_db()
    assert office.revision > 0
    assert to_business_calendar(office).zone.key == "Asia/Tokyo"


def test_patch_working_hours_replaces_the_whole_schedule_and_bumps_the_revision(admin_api: Client) -> None:
    before = revision("office")
    hours = [{"weekday": day, "starts_at": "08:30", "ends_at": "17:30"} for day in range(6)]

    response = patch(admin_api, f"{SLA}/calendars/office", {"working_hours": hours})

    assert response.status_code == 200, response.content
    assert response.json()["working_hours"] == hours
    assert WorkingInterval.objects.filter(calendar__code="office").count() == 6
    assert revision("office") != before
    cached = to_business_calendar(Calendar.objects.get(code="office"))
    assert {interval.weekday for interval in cached.intervals} == set(range(6))


def test_patch_with_an_overlap_changes_nothing(admin_api: Client) -> None:
    before = (revision("office"), WorkingInterval.objects.filter(calendar__code="office").count())
    hours = [
        {"weekday": 2, "starts_at": "09:00", "ends_at": "12:00"},
        {"weekday": 2, "starts_at": "08:00", "ends_at": "09:30"},
    ]

    response = patch(admin_api, f"{SLA}/calendars/office", {"working_hours": hours, "name": "X"})

    assert_refused(response, "working_hours[0].starts_at")
    assert (revision("office"), WorkingInterval.objects.filter(calendar__code="office").count()) == before
    assert Calendar.objects.get(code="office").name != "X"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": None}, "name"),
        ({"working_hours": None}, "working_hours"),
        ({"time_zone": None}, "time_zone"),
        ({"is_active": None}, "is_active"),
        ({"code": "other"}, "code"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"working_hours": []}, "working_hours"),
        ({"name": "x" * 201}, "name"),
    ],
)
def test_bad_calendar_patches_are_422(admin_api: Client, payload: dict[str, Any], field: str) -> None:
    assert_refused(patch(admin_api, f"{SLA}/calendars/office", payload), field)


def test_a_calendar_used_by_active_policies_cannot_be_deactivated(admin_api: Client) -> None:
    response = patch(admin_api, f"{SLA}/calendars/office", {"is_active": False})

    assert_refused(response, "is_active", status=409)
    assert "P2" in response.json()["detail"]
    assert Calendar.objects.get(code="office").is_active


def test_an_unused_calendar_can_be_deactivated(admin_api: Client) -> None:
    post(admin_api, f"{SLA}/calendars", new_calendar())

    response = patch(admin_api, f"{SLA}/calendars/shenzhen", {"is_active": False})

    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False


def test_calendars_are_never_deleted(admin_api: Client) -> None:
    assert admin_api.delete(f"{SLA}/calendars/office").status_code == 405
    assert Calendar.objects.filter(code="office").exists()


# --- calendar dates -------------------------------------------------------------------------


def test_dates_of_a_year_are_listed_in_date_order(admin_api: Client) -> None:
    page = admin_api.get(f"{SLA}/calendars/office/dates", {"year": 2026, "limit": 400}).json()

    dates = [item["date"] for item in page["items"]]
    assert page["count"] == len(dates) == CalendarDate.objects.filter(calendar__code="office", date__year=2026).count()
    assert dates == sorted(dates)
    assert all(day.startswith("2026-") for day in dates)
    national_day = next(item for item in page["items"] if item["date"] == "2026-10-01")
    assert national_day == {"date": "2026-10-01", "weekday": 3, "kind": "holiday", "name": "国庆节", "works_like": None}
    make_up = next(item for item in page["items"] if item["date"] == "2026-10-10")
    assert make_up["kind"] == "working_day"
    assert make_up["weekday"] == 5
    assert make_up["works_like"] == 0


def test_dates_filter_by_kind_and_paginate(admin_api: Client) -> None:
    page = admin_api.get(f"{SLA}/calendars/office/dates", {"year": 2026, "kind": "working_day"}).json()
    second = admin_api.get(f"{SLA}/calendars/office/dates", {"year": 2026, "limit": 2, "offset": 2}).json()

    assert [item["date"] for item in page["items"]] == [
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]
    assert len(second["items"]) == 2


def test_date_list_query_count_does_not_grow_with_rows(admin_api: Client) -> None:
    def queries_for(year: int) -> int:
        admin_api.get(f"{SLA}/calendars/office/dates", {"year": year})
        with CaptureQueriesContext(connection) as context:
            response = admin_api.get(f"{SLA}/calendars/office/dates", {"year": year, "limit": 400})
        assert response.json()["items"]
        return len(context.captured_queries)

    CalendarDate.objects.create(calendar=Calendar.objects.get(code="office"), date=date(2030, 1, 1), kind="holiday")
    assert queries_for(2030) == queries_for(2026)


@pytest.mark.parametrize(
    "query",
    ["year=abc", "year=99999", "year=2026&year=2027", "kind=weekend", "limit=0", "limit=401", "offset=-1", "bogus=1"],
)
def test_bad_date_list_queries_are_422(admin_api: Client, query: str) -> None:
    response = admin_api.get(f"{SLA}/calendars/office/dates?{query}")

    assert_refused(response, query.split("=")[0])


def test_admin_enters_a_holiday_of_a_year_the_bundled_data_does_not_cover(admin_api: Client) -> None:
    before = revision("office")

    created = put(admin_api, f"{SLA}/calendars/office/dates/2027-10-01", {"kind": "holiday", "name": "国庆节"})
    replaced = put(admin_api, f"{SLA}/calendars/office/dates/2027-10-01", {"kind": "holiday", "name": "National Day"})

    assert created.status_code == 201, created.content
    assert replaced.status_code == 200, replaced.content
    assert replaced.json() == {
        "date": "2027-10-01",
        "weekday": 4,
        "kind": "holiday",
        "name": "National Day",
        "works_like": None,
    }
    assert revision("office") != before
    assert admin_api.get(f"{SLA}/calendars/office").json()["years_with_dates"] == [2025, 2026, 2027]
    assert date(2027, 10, 1) in to_business_calendar(Calendar.objects.get(code="office")).holidays


def test_a_make_up_saturday_works_like_monday_unless_told(admin_api: Client) -> None:
    saturday = put(admin_api, f"{SLA}/calendars/office/dates/2027-09-25", {"kind": "working_day", "name": "调休上班"})
    friday_hours = put(admin_api, f"{SLA}/calendars/office/dates/2027-09-26", {"kind": "working_day", "works_like": 4})
    weekday = put(admin_api, f"{SLA}/calendars/office/dates/2027-09-29", {"kind": "working_day"})

    assert saturday.json()["works_like"] == 0
    assert friday_hours.json()["works_like"] == 4
    assert weekday.json()["works_like"] == 2
    cached = to_business_calendar(Calendar.objects.get(code="office"))
    assert cached.extra_working_days[date(2027, 9, 26)] == 4


@pytest.mark.parametrize(
    ("url_date", "payload", "field"),
    [
        ("2026-02-30", {"kind": "holiday"}, "date"),
        ("2026-13-01", {"kind": "holiday"}, "date"),
        ("tomorrow", {"kind": "holiday"}, "date"),
        ("0001-01-01", {"kind": "holiday"}, "date"),
        ("9999-12-31", {"kind": "holiday"}, "date"),
        ("20261001", {"kind": "holiday", "extra": 1}, "extra"),
        ("2027-10-01", {"kind": "weekend"}, "kind"),
        ("2027-10-01", {}, "kind"),
        ("2027-10-01", {"kind": "holiday", "name": "x" * 101}, "name"),
        ("2027-10-01", {"kind": "holiday", "name": "国庆\x00"}, "name"),
        ("2027-10-01", {"kind": "holiday", "name": ["a"]}, "name"),
        ("2027-10-01", {"kind": "holiday", "works_like": 1}, "works_like"),
        ("2027-10-02", {"kind": "working_day", "works_like": 5}, "works_like"),
        ("2027-10-02", {"kind": "working_day", "works_like": 7}, "works_like"),
        ("2027-10-02", {"kind": "working_day", "works_like": "monday"}, "works_like"),
        ("2027-10-01", {"kind": "holiday", "calendar": "24x7"}, "calendar"),
    ],
)
def test_bad_dates_are_422_naming_the_field(admin_api: Client, url_date: str, payload: Any, field: str) -> None:
    before = revision("office")

    assert_refused(put(admin_api, f"{SLA}/calendars/office/dates/{url_date}", payload), field)

    assert revision("office") == before
    assert not CalendarDate.objects.filter(date__year=2027).exists()


def test_dates_on_a_24x7_calendar_are_refused(admin_api: Client) -> None:
    response = put(admin_api, f"{SLA}/calendars/24x7/dates/2027-10-01", {"kind": "holiday"})

    assert_refused(response, None, status=409)
    assert not CalendarDate.objects.filter(calendar__code="24x7").exists()


def test_dates_of_an_unknown_calendar_are_404(admin_api: Client) -> None:
    assert_refused(put(admin_api, f"{SLA}/calendars/nope/dates/2027-10-01", {"kind": "holiday"}), "code", status=404)
    assert_refused(admin_api.get(f"{SLA}/calendars/nope/dates"), "code", status=404)


def test_deleting_a_date_bumps_the_revision(admin_api: Client) -> None:
    before = revision("office")

    response = admin_api.delete(f"{SLA}/calendars/office/dates/2026-10-01")

    assert response.status_code == 204
    assert not CalendarDate.objects.filter(calendar__code="office", date=date(2026, 10, 1)).exists()
    assert revision("office") != before
    assert date(2026, 10, 1) not in to_business_calendar(Calendar.objects.get(code="office")).holidays


def test_deleting_a_date_without_an_entry_is_404(admin_api: Client) -> None:
    assert_refused(admin_api.delete(f"{SLA}/calendars/office/dates/2026-10-08"), "date", status=404)
    assert_refused(admin_api.delete(f"{SLA}/calendars/office/dates/2026-02-30"), "date")


# --- policies -------------------------------------------------------------------------------


def test_policy_list_shows_the_seeded_policies_in_order_with_rules(admin_api: Client) -> None:
    page = admin_api.get(f"{SLA}/policies").json()

    assert [item["priority"] for item in page["items"]] == ["P1", "P2", "P3", "P4"]
    p1 = page["items"][0]
    assert p1["calendar"] == "24x7"
    assert p1["channel"] == ""
    assert p1["customer_level"] is None
    assert {(rule["metric"], rule["offset_minutes"]) for rule in p1["escalation_rules"]} == {
        ("first_response", 0),
        ("resolution", -30),
    }
    filtered = admin_api.get(f"{SLA}/policies", {"priority": "P3"}).json()
    assert [item["priority"] for item in filtered["items"]] == ["P3"]


def test_policy_list_query_count_does_not_grow_with_rows(admin_api: Client, engineer: User, second_line: Team) -> None:
    def queries_for(total: int) -> int:
        while SlaPolicy.objects.count() < total:
            response = post(
                admin_api,
                f"{SLA}/policies",
                new_policy(
                    escalation_rules=[
                        {"metric": "resolution", "offset_minutes": 0, "contacts": ["engineer"]},
                        {"metric": "first_response", "offset_minutes": 5, "reassign_to_team": "second-line"},
                    ]
                ),
            )
            assert response.status_code == 201, response.content
        admin_api.get(f"{SLA}/policies")
        with CaptureQueriesContext(connection) as context:
            response = admin_api.get(f"{SLA}/policies", {"limit": 100})
        assert len(response.json()["items"]) == total
        return len(context.captured_queries)

    assert queries_for(6) == queries_for(30)


def test_admin_creates_a_policy_with_escalation_rules(
    admin_api: Client, engineer: User, second_line: Team, service_desk: Team
) -> None:
    payload = new_policy(
        order=5,
        customer_level="vip",
        category="network",
        channel="phone",
        update_interval_minutes=60,
        warning_percent=80,
        backup_team="second-line",
        escalation_rules=[
            {"metric": "first_response", "offset_minutes": -5, "contacts": ["engineer", "engineer"]},
            {
                "metric": "resolution",
                "offset_minutes": 30,
                "notify_team_lead": False,
                "reassign_to_team": "second-line",
                "raise_priority": True,
            },
        ],
    )

    response = post(admin_api, f"{SLA}/policies", payload)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["order"] == 5
    assert (body["customer_level"], body["category"], body["channel"]) == ("vip", "network", "phone")
    assert (body["warning_percent"], body["backup_team"], body["update_interval_minutes"]) == (80, "second-line", 60)
    rules = sorted(body["escalation_rules"], key=lambda rule: rule["metric"])
    assert rules[0]["contacts"] == ["engineer"]
    assert rules[0]["notify_team_lead"] is True
    assert rules[1]["reassign_to_team"] == "second-line"
    assert rules[1]["raise_priority"] is True
    policy = SlaPolicy.objects.get(pk=body["id"])
    assert policy.calendar.code == "office"
    assert policy.escalation_rules.count() == 2
    assert admin_api.get(f"{SLA}/policies/{policy.pk}").json() == body


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "tab\x0bname"}, "name"),
        ({"priority": "P9"}, "priority"),
        ({"priority": None}, "priority"),
        ({"calendar": "nope"}, "calendar"),
        ({"calendar": "bad code"}, "calendar"),
        ({"customer_level": "platinum"}, "customer_level"),
        ({"category": "no-such-category"}, "category"),
        ({"channel": "pigeon"}, "channel"),
        ({"backup_team": "nope"}, "backup_team"),
        ({"assignment_minutes": -5}, "assignment_minutes"),
        ({"assignment_minutes": 0}, "assignment_minutes"),
        ({"resolution_minutes": 525_601}, "resolution_minutes"),
        ({"first_response_minutes": "soon"}, "first_response_minutes"),
        ({"first_response_minutes": 1.5}, "first_response_minutes"),
        ({"warning_percent": 0}, "warning_percent"),
        ({"warning_percent": 100}, "warning_percent"),
        ({"order": -1}, "order"),
        ({"order": 10**12}, "order"),
        ({"id": 7}, "id"),
        ({"escalation_rules": "all"}, "escalation_rules"),
        ({"escalation_rules": [{"metric": "update", "offset_minutes": 0}]}, "escalation_rules.0.metric"),
        ({"escalation_rules": [{"metric": "resolution"}]}, "escalation_rules.0.offset_minutes"),
        (
            {"escalation_rules": [{"metric": "resolution", "offset_minutes": 600_000}]},
            "escalation_rules.0.offset_minutes",
        ),
        ({"escalation_rules": [{"metric": "resolution", "offset_minutes": 0, "x": 1}]}, "escalation_rules.0.x"),
        (
            {"escalation_rules": [{"metric": "resolution", "offset_minutes": 0, "notify_team_lead": False}]},
            "escalation_rules[0]",
        ),
        (
            {"escalation_rules": [{"metric": "resolution", "offset_minutes": 0, "contacts": ["requester"]}]},
            "escalation_rules[0].contacts[0]",
        ),
        (
            {"escalation_rules": [{"metric": "resolution", "offset_minutes": 0, "contacts": ["ghost"]}]},
            "escalation_rules[0].contacts[0]",
        ),
        (
            {"escalation_rules": [{"metric": "resolution", "offset_minutes": 0, "contacts": ["a\x00"]}]},
            "escalation_rules.0.contacts.0",
        ),
        (
            {"escalation_rules": [{"metric": "resolution", "offset_minutes": 0, "reassign_to_team": "nope"}]},
            "escalation_rules[0].reassign_to_team",
        ),
        (
            {"escalation_rules": [{"id": 1, "metric": "resolution", "offset_minutes": 0}]},
            "escalation_rules[0].id",
        ),
        (
            {"assignment_minutes": None, "escalation_rules": [{"metric": "assignment", "offset_minutes": 0}]},
            "escalation_rules[0].metric",
        ),
    ],
)
def test_bad_policy_input_is_422_naming_the_field(
    admin_api: Client, requester: User, changes: dict[str, Any], field: str
) -> None:
    before = (SlaPolicy.objects.count(), EscalationRule.objects.count())

    assert_refused(post(admin_api, f"{SLA}/policies", new_policy(**changes)), field)

    assert (SlaPolicy.objects.count(), EscalationRule.objects.count()) == before


def test_deactivated_calendars_teams_and_categories_are_refused(admin_api: Client, second_line: Team) -> None:
    Calendar.objects.create(code="old", name="Old", is_24x7=True, is_active=False)
    second_line.is_active = False
    second_line.save(update_fields=["is_active"])
    Category.objects.filter(code="network").update(is_active=False)

    response = post(
        admin_api,
        f"{SLA}/policies",
        new_policy(
            calendar="old",
            backup_team="second-line",
            category="network",
            escalation_rules=[{"metric": "resolution", "offset_minutes": 0, "reassign_to_team": "second-line"}],
        ),
    )

    assert_refused(response, "calendar")
    assert set(fields_of(response)) == {"calendar", "backup_team", "category", "escalation_rules[0].reassign_to_team"}


def test_patch_changes_targets_and_clears_optional_fields(admin_api: Client) -> None:
    p3 = SlaPolicy.objects.get(priority="P3")

    response = patch(
        admin_api, f"{SLA}/policies/{p3.pk}", {"resolution_minutes": 900, "update_interval_minutes": None, "order": 1}
    )

    assert response.status_code == 200, response.content
    p3.refresh_from_db()
    assert (p3.resolution_minutes, p3.update_interval_minutes, p3.order) == (900, None, 1)
    assert p3.calendar.code == "office"


def test_patch_refuses_removing_a_target_that_active_rules_watch(admin_api: Client) -> None:
    p1 = SlaPolicy.objects.get(priority="P1")

    response = patch(admin_api, f"{SLA}/policies/{p1.pk}", {"first_response_minutes": None})

    assert_refused(response, "first_response_minutes")
    p1.refresh_from_db()
    assert p1.first_response_minutes == 15


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": None}, "name"),
        ({"calendar": None}, "calendar"),
        ({"channel": None}, "channel"),
        ({"escalation_rules": None}, "escalation_rules"),
        ({"warning_percent": 100}, "warning_percent"),
        ({"calendar": "24x7", "priority": "P7"}, "priority"),
    ],
)
def test_bad_policy_patches_are_422(admin_api: Client, payload: dict[str, Any], field: str) -> None:
    p1 = SlaPolicy.objects.get(priority="P1")

    assert_refused(patch(admin_api, f"{SLA}/policies/{p1.pk}", payload), field)

    assert SlaPolicy.objects.get(pk=p1.pk).name == p1.name


@pytest.mark.parametrize(("policy_id", "status"), [("999", 404), ("0", 422), ("abc", 422), (str(2**70), 422)])
def test_unknown_or_malformed_policy_ids_are_refused(admin_api: Client, policy_id: str, status: int) -> None:
    assert_refused(admin_api.get(f"{SLA}/policies/{policy_id}"), "policy_id", status=status)
    assert_refused(patch(admin_api, f"{SLA}/policies/{policy_id}", {"name": "X"}), "policy_id", status=status)


def test_reactivating_a_policy_on_a_deactivated_calendar_is_refused(admin_api: Client) -> None:
    calendar = Calendar.objects.create(code="old", name="Old", is_24x7=True)
    policy = SlaPolicy.objects.create(name="Old", priority="P4", calendar=calendar, is_active=False)
    Calendar.objects.filter(pk=calendar.pk).update(is_active=False)

    assert_refused(patch(admin_api, f"{SLA}/policies/{policy.pk}", {"is_active": True}), "is_active")
    assert patch(admin_api, f"{SLA}/policies/{policy.pk}", {"is_active": True, "calendar": "office"}).status_code == 200


def test_rule_replacement_keeps_listed_rules_and_deletes_or_deactivates_the_others(
    admin_api: Client, requester: User, service_desk: Team
) -> None:
    p1 = SlaPolicy.objects.get(priority="P1")
    first_response = p1.escalation_rules.get(metric="first_response")
    resolution = p1.escalation_rules.get(metric="resolution")
    ticket = factories.make_ticket(requester)
    now = timezone.now()
    SlaEscalation.objects.create(ticket=ticket, rule=resolution, metric="resolution", threshold_at=now, fired_at=now)

    response = patch(
        admin_api,
        f"{SLA}/policies/{p1.pk}",
        {
            "escalation_rules": [
                {"id": first_response.pk, "metric": "first_response", "offset_minutes": 10, "raise_priority": True},
                {"metric": "assignment", "offset_minutes": 0},
            ]
        },
    )

    assert response.status_code == 200, response.content
    rules = {rule["id"]: rule for rule in response.json()["escalation_rules"]}
    # Kept in place (same id), changed.
    assert rules[first_response.pk]["offset_minutes"] == 10
    assert rules[first_response.pk]["raise_priority"] is True
    # Fired: kept for the record, deactivated.
    assert rules[resolution.pk]["is_active"] is False
    new = [rule for pk, rule in rules.items() if pk not in {first_response.pk, resolution.pk}]
    assert [(rule["metric"], rule["is_active"]) for rule in new] == [("assignment", True)]


def test_rules_left_out_that_never_fired_are_deleted(admin_api: Client) -> None:
    p2 = SlaPolicy.objects.get(priority="P2")
    old_ids = set(p2.escalation_rules.values_list("pk", flat=True))

    response = patch(admin_api, f"{SLA}/policies/{p2.pk}", {"escalation_rules": []})

    assert response.status_code == 200, response.content
    assert response.json()["escalation_rules"] == []
    assert not EscalationRule.objects.filter(pk__in=old_ids).exists()


def test_a_rule_listed_twice_or_of_another_policy_is_refused(admin_api: Client) -> None:
    p1, p2 = SlaPolicy.objects.get(priority="P1"), SlaPolicy.objects.get(priority="P2")
    own = p1.escalation_rules.first()
    other = p2.escalation_rules.first()
    assert own is not None
    assert other is not None
    rule = {"metric": "resolution", "offset_minutes": 0}

    twice = patch(admin_api, f"{SLA}/policies/{p1.pk}", {"escalation_rules": [{"id": own.pk, **rule}] * 2})
    foreign = patch(admin_api, f"{SLA}/policies/{p1.pk}", {"escalation_rules": [{"id": other.pk, **rule}]})

    assert_refused(twice, "escalation_rules[1].id")
    assert_refused(foreign, "escalation_rules[0].id")
    assert EscalationRule.objects.get(pk=other.pk).policy_id == p2.pk


def test_policies_are_never_deleted(admin_api: Client) -> None:
    p1 = SlaPolicy.objects.get(priority="P1")

    assert admin_api.delete(f"{SLA}/policies/{p1.pk}").status_code == 405
    assert SlaPolicy.objects.filter(pk=p1.pk).exists()
