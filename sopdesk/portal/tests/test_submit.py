"""Asking for help in the portal: the two steps, the expected response, creation and the confirmation."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sopdesk.accounts.models import User
from sopdesk.notifications.choices import NotificationKind
from sopdesk.notifications.models import OutboxMessage
from sopdesk.portal.models import CategoryRequestField
from sopdesk.tickets.models import Category, Ticket

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _client(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _start(category: str, **extra: Any) -> dict[str, Any]:
    return {
        "category": Category.objects.get(code=category).pk,
        "title": "The Wi-Fi drops every few minutes",
        "description": "Since this morning the connection drops.",
        "impact": "multiple_users",
        "urgency": "high",
        **extra,
    }


def test_step_one_asks_what_is_wrong_and_lists_active_categories(requester: User) -> None:
    page = _client(requester).get("/portal/new/").content.decode()
    assert "Step 1 of 2" in page
    assert 'name="title"' in page
    assert 'name="impact"' in page
    assert 'name="urgency"' in page
    assert "Wi-Fi" in page


def test_step_two_shows_the_fields_of_the_chosen_category(requester: User) -> None:
    client = _client(requester)
    network = client.post("/portal/new/", _start("network", step="details")).content.decode()
    assert "Step 2 of 2" in network
    assert 'name="network_environment"' in network
    assert "Location (building, floor, room)" in network
    assert 'name="device_model"' not in network
    software = client.post("/portal/new/", _start("software", step="details")).content.decode()
    assert 'name="software_version"' in software
    assert 'name="operating_system"' in software


def test_a_subcategory_uses_its_parents_fields_until_it_has_its_own(requester: User) -> None:
    client = _client(requester)
    wifi = client.post("/portal/new/", _start("network-wifi", step="details")).content.decode()
    assert 'name="network_environment"' in wifi
    CategoryRequestField.objects.create(
        category=Category.objects.get(code="network-wifi"), label="SSID", is_required=True
    )
    wifi = client.post("/portal/new/", _start("network-wifi", step="details")).content.decode()
    assert "SSID" in wifi
    assert 'name="network_environment"' not in wifi


def test_going_back_keeps_what_was_entered(requester: User) -> None:
    page = _client(requester).post("/portal/new/", _start("network", step="back")).content.decode()
    assert "Step 1 of 2" in page
    assert 'value="The Wi-Fi drops every few minutes"' in page


def test_an_inactive_category_is_refused_next_to_the_field(requester: User) -> None:
    Category.objects.filter(code="network").update(is_active=False)
    response = _client(requester).post("/portal/new/", _start("network", step="details"))
    assert response.status_code == 400
    assert 'id="id_category_error"' in response.content.decode()


def test_a_category_without_fields_gets_the_default_questions(requester: User) -> None:
    page = _client(requester).post("/portal/new/", _start("other", step="details")).content.decode()
    assert 'name="error_message"' in page
    assert 'name="attempted_measures"' in page


def test_step_one_errors_are_shown_next_to_the_field(requester: User) -> None:
    response = _client(requester).post("/portal/new/", _start("network", title="   ", step="details"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Step 1 of 2" in page
    assert 'id="id_title_error"' in page


def test_the_expected_first_response_follows_the_sla_policy(requester: User) -> None:
    client = _client(requester)
    critical = client.get(
        "/portal/new/expected-response/",
        {"category": Category.objects.get(code="network").pk, "impact": "organization", "urgency": "critical"},
    ).content.decode()
    low = client.get(
        "/portal/new/expected-response/",
        {"category": Category.objects.get(code="network").pk, "impact": "single_user", "urgency": "low"},
    ).content.decode()
    assert "We will answer within" in critical
    assert "We will answer within" in low
    assert critical != low
    for nonsense in ("", "abc", "99999999999999999999", "1\x00"):
        answer = client.get("/portal/new/expected-response/", {"category": nonsense, "impact": "<b>"})
        assert answer.status_code == 200
        assert "Choose a category" in answer.content.decode()


def _submit(client: Client, **files: Any) -> Any:
    data = _start(
        "network",
        step="submit",
        network_environment="Office Wi-Fi, 5 GHz",
        frequency="intermittent",
        **{f"extra_{_location().pk}": "Building B, floor 3"},
    )
    return client.post("/portal/new/", {**data, **files})


def _location() -> CategoryRequestField:
    return CategoryRequestField.objects.get(category__code="network", standard_field="")


def test_submitting_creates_the_ticket_with_its_details_and_attachment(requester: User, service_desk: Any) -> None:
    shot = SimpleUploadedFile("screenshot.png", PNG, content_type="image/png")
    response = _submit(_client(requester), attachments=[shot])
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/new/{ticket.number}/"
    assert ticket.requester == requester
    assert ticket.channel == "web"
    assert ticket.category is not None
    assert ticket.category.code == "network"
    assert (ticket.impact, ticket.urgency) == ("multiple_users", "high")
    assert ticket.network_environment == "Office Wi-Fi, 5 GHz"
    assert ticket.frequency == "intermittent"
    assert "Location (building, floor, room): Building B, floor 3" in ticket.description
    assert [a.original_name for a in ticket.attachments.all()] == ["screenshot.png"]
    assert not ticket.attachments.get().is_internal


def test_a_required_category_field_is_asked_for_again(requester: User) -> None:
    data = _start("network", step="submit", **{f"extra_{_location().pk}": "B3"})
    response = _client(requester).post("/portal/new/", data)
    assert response.status_code == 400
    assert 'id="id_network_environment_error"' in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_refused_attachment_creates_nothing(requester: User) -> None:
    bad = SimpleUploadedFile("run.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    response = _submit(_client(requester), attachments=[bad])
    assert response.status_code == 422
    assert "run.exe" in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_confirmation_shows_number_times_hours_and_the_request_link(requester: User, settings: Any) -> None:
    settings.SOPDESK_SUPPORT_PHONE = "+86 10 1234 5678"
    settings.SOPDESK_SUPPORT_EMAIL = "help@example.com"
    client = _client(requester)
    page = client.get(_submit(client)["Location"]).content.decode()
    ticket = Ticket.objects.get()
    assert ticket.number in page
    assert "First response" in page
    assert "within" in page
    assert "Expected resolution" in page
    assert "Service hours" in page
    assert "Monday" in page
    assert "+86 10 1234 5678" in page
    assert "mailto:help@example.com" in page
    assert f"/portal/requests/{ticket.number}/" in page


def test_the_acknowledgement_mail_is_queued_in_the_requesters_language(requester: User) -> None:
    requester.language = "zh-hans"
    requester.save(update_fields=["language"])
    _submit(_client(requester))
    ticket = Ticket.objects.get()
    mail = OutboxMessage.objects.get(recipient=requester)
    assert ticket.number in mail.subject
    assert "我们已收到" in mail.subject
    assert f"/portal/requests/{ticket.number}/" in mail.body
    assert ticket.notifications.filter(kind=NotificationKind.REQUEST_RECEIVED).count() == 1


def test_the_portal_acknowledgement_mail_can_be_switched_off(requester: User, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SOPDESK_PORTAL_ACKNOWLEDGEMENT = False
    _submit(_client(requester))
    ticket = Ticket.objects.get()
    assert not OutboxMessage.objects.filter(recipient=requester).exists()
    # The requester's inbox still says the request arrived.
    assert ticket.notifications.filter(kind=NotificationKind.REQUEST_RECEIVED).count() == 1


def test_hostile_text_is_shown_as_text(requester: User) -> None:
    client = _client(requester)
    data = _start("network", step="details", title="<script>alert(1)</script>")
    page = client.post("/portal/new/", data).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_hostile_title_on_the_confirmation_is_text(requester: User) -> None:
    client = _client(requester)
    data = _start("other", step="submit", title='<img src=x onerror="alert(1)">')
    page = client.get(client.post("/portal/new/", data)["Location"]).content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_admins_edit_the_request_fields_and_an_extra_field_needs_a_label(manager: User) -> None:
    manager.is_staff = manager.is_superuser = True
    manager.save()
    client = _client(manager)
    assert client.get("/admin/portal/categoryrequestfield/").status_code == 200
    network = Category.objects.get(code="network")
    refused = client.post(
        "/admin/portal/categoryrequestfield/add/",
        {"category": network.pk, "standard_field": "", "label": "", "sort_order": 5},
    )
    assert refused.status_code == 200
    assert "An extra field needs a label." in refused.content.decode()
    client.post(
        "/admin/portal/categoryrequestfield/add/",
        {"category": network.pk, "standard_field": "", "label": "VLAN", "sort_order": 5},
    )
    assert CategoryRequestField.objects.filter(category=network, label="VLAN").exists()


def test_someone_elses_confirmation_is_not_found(requester: User, outsider: User) -> None:
    _submit(_client(requester))
    ticket = Ticket.objects.get()
    assert _client(outsider).get(f"/portal/new/{ticket.number}/").status_code == 404


def test_staff_are_sent_to_the_workspace(agent: User) -> None:
    assert _client(agent).get("/portal/new/")["Location"] == "/desk/"
