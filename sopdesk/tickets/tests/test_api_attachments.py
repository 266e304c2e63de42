"""HTTP-level tests of attachment upload, listing and download: permissions and hostile files."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from conftest import ApiClientFactory
from sopdesk.accounts.models import Team, User
from sopdesk.testing import factories
from sopdesk.tickets import actions
from sopdesk.tickets.choices import AccessChannel
from sopdesk.tickets.models import Attachment, Ticket, TicketAccessLog

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def fields_of(response: Any) -> list[str | None]:
    return [error["field"] for error in response.json()["errors"]]


def upload(
    client: Any, ticket: Ticket, name: str, content: bytes, content_type: str = "text/plain", **form: Any
) -> Any:
    file = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(f"{TICKETS}/{ticket.number}/attachments", {"file": file, **form})


def attach(ticket: Ticket, actor: User, name: str = "error.log", *, is_internal: bool = False) -> Attachment:
    content = f"log of {name}\n".encode()
    return actions.add_attachment(
        ticket,
        actor=actor,
        upload=SimpleUploadedFile(name, content, content_type="text/plain"),
        is_internal=is_internal,
        now=timezone.now(),
    )


def download_url(ticket: Ticket, attachment_id: int | str) -> str:
    return f"{TICKETS}/{ticket.number}/attachments/{attachment_id}"


@pytest.fixture
def ticket(requester: User, service_desk: Team) -> Ticket:
    return factories.make_ticket(requester, title="Printer prints blank pages")


# --- upload -------------------------------------------------------------------------------


def test_requester_uploads_a_text_file(api_client: ApiClientFactory, ticket: Ticket, requester: User) -> None:
    content = "打印机日志\nERROR 0x0042\n".encode()

    response = upload(api_client(requester), ticket, "printer.log", content)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "printer.log"
    assert body["content_type"] == "text/plain"
    assert body["size"] == len(content)
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["is_internal"] is False
    assert body["uploaded_by"]["username"] == "requester"
    assert ticket.events.filter(kind="attachment_added").count() == 1


def test_agent_uploads_an_image_whose_content_matches(
    api_client: ApiClientFactory, ticket: Ticket, agent: User
) -> None:
    response = upload(api_client(agent), ticket, "screenshot.PNG", PNG, "image/png")

    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "image/png"


@pytest.mark.parametrize("persona", ["agent", "team_lead", "manager"])
@pytest.mark.parametrize("is_internal", [False, True])
def test_staff_upload_public_and_internal_files(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, ticket: Ticket, persona: str, is_internal: bool
) -> None:
    response = upload(
        api_client(request.getfixturevalue(persona)), ticket, "trace.log", b"trace\n", is_internal=str(is_internal)
    )

    assert response.status_code == 201, response.content
    assert response.json()["is_internal"] is is_internal
    assert Attachment.objects.get().is_internal is is_internal


def test_stored_file_gets_a_generated_name(api_client: ApiClientFactory, ticket: Ticket, requester: User) -> None:
    upload(api_client(requester), ticket, "../../evil.txt", b"hello")

    attachment = Attachment.objects.get()
    assert attachment.original_name == "evil.txt"
    assert "evil" not in attachment.file.name
    assert ".." not in attachment.file.name
    assert Path(attachment.file.path).is_file()


@pytest.mark.parametrize(("persona", "status"), [("auditor", 403), ("outsider", 404), ("engineer", 404)])
def test_upload_is_refused_for_read_only_roles_and_strangers(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, ticket: Ticket, persona: str, status: int
) -> None:
    response = upload(api_client(request.getfixturevalue(persona)), ticket, "notes.txt", b"hello")

    assert response.status_code == status
    assert not Attachment.objects.exists()


def test_requester_cannot_upload_internal_files(api_client: ApiClientFactory, ticket: Ticket, requester: User) -> None:
    response = upload(api_client(requester), ticket, "notes.txt", b"hello", is_internal="true")

    assert response.status_code == 403
    assert fields_of(response) == ["is_internal"]
    assert not Attachment.objects.exists()


@override_settings(SOPDESK_ATTACHMENT_MAX_BYTES=16)
def test_too_large_file_is_422_naming_the_file(api_client: ApiClientFactory, ticket: Ticket, requester: User) -> None:
    accepted = upload(api_client(requester), ticket, "small.txt", b"x" * 16)
    refused = upload(api_client(requester), ticket, "large.txt", b"x" * 17)

    assert accepted.status_code == 201
    assert refused.status_code == 422
    assert fields_of(refused) == ["file"]
    assert Attachment.objects.count() == 1


def test_empty_file_is_422(api_client: ApiClientFactory, ticket: Ticket, requester: User) -> None:
    response = upload(api_client(requester), ticket, "empty.txt", b"")

    assert response.status_code == 422
    assert fields_of(response) == ["file"]


def test_missing_file_part_is_422(api_client: ApiClientFactory, ticket: Ticket, requester: User) -> None:
    response = api_client(requester).post(f"{TICKETS}/{ticket.number}/attachments", {"is_internal": "false"})

    assert response.status_code == 422
    assert fields_of(response) == ["file"]


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("photo.png", b"<html><script>alert(1)</script></html>", "image/png"),  # declared image, is HTML
        ("report.pdf", b"<script>alert(1)</script>", "application/pdf"),
        ("notes.txt", PNG, "text/plain"),  # declared text, is an image
        ("readme.txt", PDF, "text/plain"),
        ("data.csv", b"a,b\x00c", "text/csv"),  # binary content in a text file
        ("page.html", b"<script>alert(1)</script>", "text/plain"),  # HTML is never accepted
        ("tool.exe", b"MZ\x90\x00", "application/octet-stream"),
        ("image.svg", b"<svg onload=alert(1)/>", "image/svg+xml"),
        ("photo\u202egnp.exe", b"MZ\x90\x00", "image/png"),  # shows as photoexe.png
        ("no-extension", b"hello", "text/plain"),
    ],
)
def test_forged_or_unsupported_files_are_422_naming_the_file(
    api_client: ApiClientFactory, ticket: Ticket, agent: User, name: str, content: bytes, content_type: str
) -> None:
    response = upload(api_client(agent), ticket, name, content, content_type)

    assert response.status_code == 422
    assert fields_of(response) == ["file"]
    assert not Attachment.objects.exists()


def test_declared_content_type_is_ignored_for_what_is_served(
    api_client: ApiClientFactory, ticket: Ticket, requester: User
) -> None:
    client = api_client(requester)
    created = upload(client, ticket, "page.txt", b"<html><script>alert(1)</script></html>", "text/html")

    assert created.status_code == 201, created.content
    assert created.json()["content_type"] == "text/plain"
    download = client.get(download_url(ticket, created.json()["id"]))
    assert download["Content-Type"].startswith("text/plain")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(
    ("hostile", "shown"),
    [
        ("../../evil.txt", "evil.txt"),
        ("..\\..\\windows\\system.ini.txt", "system.ini.txt"),
        ("/etc/passwd.txt", "passwd.txt"),
        ("report\u202efdp.txt", "reportfdp.txt"),  # right-to-left override removed
        ("bell\x07and\ttab.txt", "bellandtab.txt"),  # control characters removed
        ("semi;colon: star*.txt", "semi;colon_ star_.txt"),
        ("...hidden.txt", "hidden.txt"),
        ("<script>alert(1)</script>.txt", "script_.txt"),  # `/` splits: only the last part is kept
        ("<img src=x onerror=alert(1)>.txt", "_img src=x onerror=alert(1)_.txt"),
    ],
)
def test_hostile_file_names_are_sanitised_for_storage_and_download(
    api_client: ApiClientFactory, ticket: Ticket, requester: User, hostile: str, shown: str
) -> None:
    client = api_client(requester)

    created = upload(client, ticket, hostile, b"plain text")

    assert created.status_code == 201, created.content
    assert created.json()["name"] == shown
    download = client.get(download_url(ticket, created.json()["id"]))
    assert download.status_code == 200
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "\u202e" not in disposition
    assert "/" not in disposition.split("filename", 1)[1]
    assert "\r" not in disposition
    assert "\n" not in disposition
    assert "X-Injected" not in {name for name, _ in download.items()}
    assert download["X-Content-Type-Options"] == "nosniff"


# --- list and download --------------------------------------------------------------------


@pytest.fixture
def files(ticket: Ticket, requester: User, agent: User) -> dict[str, Attachment]:
    return {
        "public": attach(ticket, requester, "public.log"),
        "internal": attach(ticket, agent, "internal.log", is_internal=True),
    }


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("requester", ["public.log"]),
        ("agent", ["public.log", "internal.log"]),
        ("team_lead", ["public.log", "internal.log"]),
        ("manager", ["public.log", "internal.log"]),
        ("auditor", ["public.log", "internal.log"]),
    ],
)
def test_list_shows_internal_files_to_staff_only(
    request: pytest.FixtureRequest,
    api_client: ApiClientFactory,
    ticket: Ticket,
    files: dict[str, Attachment],
    persona: str,
    visible: list[str],
) -> None:
    response = api_client(request.getfixturevalue(persona)).get(f"{TICKETS}/{ticket.number}/attachments")

    assert response.status_code == 200
    assert [item["name"] for item in response.json()] == visible


@pytest.mark.parametrize(
    ("persona", "public_status", "internal_status"),
    [
        ("requester", 200, 404),
        ("agent", 200, 200),
        ("team_lead", 200, 200),
        ("manager", 200, 200),
        ("auditor", 200, 200),
        ("engineer", 404, 404),
        ("outsider", 404, 404),
    ],
)
def test_download_per_persona(
    request: pytest.FixtureRequest,
    api_client: ApiClientFactory,
    ticket: Ticket,
    files: dict[str, Attachment],
    persona: str,
    public_status: int,
    internal_status: int,
) -> None:
    client = api_client(request.getfixturevalue(persona))

    public = client.get(download_url(ticket, files["public"].pk))
    internal = client.get(download_url(ticket, files["internal"].pk))

    assert public.status_code == public_status
    assert internal.status_code == internal_status
    if public_status == 200:
        assert b"".join(public.streaming_content) == b"log of public.log\n"  # type: ignore[attr-defined]
        assert public["Content-Disposition"] == 'attachment; filename="public.log"'
        assert public["X-Content-Type-Options"] == "nosniff"
    else:
        assert public["Content-Type"].startswith("application/json")
    if internal_status == 404:
        assert b"internal" not in internal.content


@pytest.mark.parametrize("persona", ["outsider", "engineer"])
def test_strangers_get_404_for_the_attachment_list(
    request: pytest.FixtureRequest,
    api_client: ApiClientFactory,
    ticket: Ticket,
    files: dict[str, Attachment],
    persona: str,
) -> None:
    response = api_client(request.getfixturevalue(persona)).get(f"{TICKETS}/{ticket.number}/attachments")

    assert response.status_code == 404
    assert b"public.log" not in response.content


def test_internal_attachment_is_absent_from_the_requesters_timeline(
    api_client: ApiClientFactory, ticket: Ticket, files: dict[str, Attachment], requester: User, agent: User
) -> None:
    def attachment_names(user: User) -> list[str]:
        events = api_client(user).get(f"{TICKETS}/{ticket.number}/events").json()["items"]
        return [event["data"]["name"] for event in events if event["kind"] == "attachment_added"]

    assert attachment_names(requester) == ["public.log"]
    assert attachment_names(agent) == ["public.log", "internal.log"]


def test_attachment_of_another_ticket_is_404_through_this_ticket(
    api_client: ApiClientFactory, ticket: Ticket, files: dict[str, Attachment], requester: User, outsider: User
) -> None:
    own_ticket = factories.make_ticket(outsider, title="Mine")
    client = api_client(outsider)

    response = client.get(download_url(own_ticket, files["public"].pk))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("attachment_id", "status", "field"),
    [
        (10**30, 422, "attachment_id"),
        (2**63, 422, "attachment_id"),
        (0, 422, "attachment_id"),
        (-1, 422, "attachment_id"),
        ("abc", 422, "attachment_id"),
        (999_999, 404, None),
    ],
)
def test_bad_attachment_ids(
    api_client: ApiClientFactory,
    ticket: Ticket,
    files: dict[str, Attachment],
    agent: User,
    attachment_id: int | str,
    status: int,
    field: str | None,
) -> None:
    response = api_client(agent).get(download_url(ticket, attachment_id))

    assert response.status_code == status
    if field:
        assert fields_of(response) == [field]


@pytest.mark.parametrize("persona", ["agent", "requester"])
def test_attachment_list_query_count_does_not_grow_with_rows(
    request: pytest.FixtureRequest,
    api_client: ApiClientFactory,
    ticket: Ticket,
    requester: User,
    agent: User,
    team_lead: User,
    persona: str,
) -> None:
    client = api_client(request.getfixturevalue(persona))
    url = f"{TICKETS}/{ticket.number}/attachments"
    uploaders = [requester, agent, team_lead]

    def queries_for_listing(total: int) -> int:
        while Attachment.objects.count() < total:
            attach(ticket, uploaders[Attachment.objects.count() % len(uploaders)], "log.txt")
        client.get(url)  # warm up: the token's last-use stamp is written at most once a minute
        with CaptureQueriesContext(connection) as context:
            response = client.get(url)
        assert len(response.json()) == total
        return len(context.captured_queries)

    few, many = queries_for_listing(3), queries_for_listing(30)

    assert many == few


# --- access log -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["agent", "team_lead", "manager", "auditor"])
def test_a_staff_listing_of_attachments_is_in_the_access_log(
    request: pytest.FixtureRequest,
    api_client: ApiClientFactory,
    ticket: Ticket,
    files: dict[str, Attachment],
    persona: str,
) -> None:
    reader = request.getfixturevalue(persona)

    response = api_client(reader).get(f"{TICKETS}/{ticket.number}/attachments", REMOTE_ADDR="198.51.100.4")

    assert response.status_code == 200
    entry = TicketAccessLog.objects.get(ticket=ticket, user=reader)
    assert (entry.via, entry.ip_address, entry.attachment) == (AccessChannel.API, "198.51.100.4", None)


@pytest.mark.parametrize("persona", ["agent", "team_lead", "manager", "auditor"])
def test_a_staff_download_is_in_the_access_log_naming_the_attachment(
    request: pytest.FixtureRequest,
    api_client: ApiClientFactory,
    ticket: Ticket,
    files: dict[str, Attachment],
    persona: str,
) -> None:
    reader = request.getfixturevalue(persona)
    client = api_client(reader)

    assert client.get(download_url(ticket, files["internal"].pk)).status_code == 200
    assert client.get(download_url(ticket, files["public"].pk)).status_code == 200

    entries = TicketAccessLog.objects.filter(ticket=ticket, user=reader).order_by("id")
    assert [entry.attachment for entry in entries] == [files["internal"], files["public"]]
    assert {entry.via for entry in entries} == {AccessChannel.API}


def test_a_requester_reading_their_own_attachments_is_not_audited(
    api_client: ApiClientFactory, ticket: Ticket, files: dict[str, Attachment], requester: User
) -> None:
    client = api_client(requester)
    client.get(f"{TICKETS}/{ticket.number}/attachments")
    client.get(download_url(ticket, files["public"].pk))

    assert not TicketAccessLog.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "engineer"])
def test_refused_reads_of_attachments_log_nothing(
    request: pytest.FixtureRequest,
    api_client: ApiClientFactory,
    ticket: Ticket,
    files: dict[str, Attachment],
    persona: str,
) -> None:
    client = api_client(request.getfixturevalue(persona))
    assert client.get(f"{TICKETS}/{ticket.number}/attachments").status_code == 404
    assert client.get(download_url(ticket, files["public"].pk)).status_code == 404

    assert not TicketAccessLog.objects.exists()


# --- malformed uploads ------------------------------------------------------------------------


def test_two_file_parts_are_refused_naming_the_field_and_nothing_is_stored(
    api_client: ApiClientFactory, ticket: Ticket, requester: User
) -> None:
    first = SimpleUploadedFile("first.log", b"one\n", content_type="text/plain")
    second = SimpleUploadedFile("second.log", b"two\n", content_type="text/plain")

    response = api_client(requester).post(f"{TICKETS}/{ticket.number}/attachments", {"file": [first, second]})

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "file", "message": "Send this field only once."}]
    assert not Attachment.objects.exists()


def test_a_repeated_form_value_and_an_unknown_part_are_refused(
    api_client: ApiClientFactory, ticket: Ticket, agent: User
) -> None:
    client = api_client(agent)
    repeated = upload(client, ticket, "a.log", b"a\n", is_internal=["true", "false"])
    unknown = upload(client, ticket, "a.log", b"a\n", visibility="public")

    assert repeated.status_code == 422
    assert fields_of(repeated) == ["is_internal"]
    assert unknown.status_code == 422
    assert fields_of(unknown) == ["visibility"]
    assert not Attachment.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_form_fields_beside_the_file_above_the_limit_get_the_api_error_format(
    api_client: ApiClientFactory, ticket: Ticket, agent: User
) -> None:
    response = upload(api_client(agent), ticket, "a.log", b"a\n", is_internal="x" * 2000)

    assert response.status_code == 413
    assert set(response.json()) == {"detail", "errors"}
    assert not Attachment.objects.exists()


@override_settings(DATA_UPLOAD_MAX_NUMBER_FILES=2)
def test_too_many_file_parts_get_the_api_error_format(
    api_client: ApiClientFactory, ticket: Ticket, agent: User
) -> None:
    files = [SimpleUploadedFile(f"{n}.log", b"x\n", content_type="text/plain") for n in range(3)]

    response = api_client(agent).post(f"{TICKETS}/{ticket.number}/attachments", {"file": files})

    assert response.status_code == 413
    assert set(response.json()) == {"detail", "errors"}
    assert not Attachment.objects.exists()
