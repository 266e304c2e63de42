"""An API user's view: generate a Python client from docs/api/openapi.json and drive the live service with it.

openapi-python-client is a standard generator; it refuses documents that are not valid OpenAPI
and names its functions after the operation ids, so this catches both an invalid document and
a schema that does not describe what the service really answers. It runs offline.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sopdesk.accounts.choices import Role
from sopdesk.testing import factories
from sopdesk.testing.factories import PASSWORD

# serialized_rollback: the seed rows come back afterwards, and the flush does not re-create content
# types that a later serialized test would then insert a second time.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

REPO = Path(__file__).resolve().parent.parent
DOCUMENT = REPO / "docs" / "api" / "openapi.json"
PACKAGE = "sopdesk_generated_client"
# No formatter hooks: the generated code is imported, not read, and ruff need not be on PATH.
CONFIG = f"package_name_override: {PACKAGE}\npost_hooks: []\n"


class GeneratedClient:
    """The generated package and its API modules, looked up by operation id."""

    def __init__(self, package: ModuleType) -> None:
        self.package = package

    def operation(self, tag: str, operation_id: str) -> Any:
        return importlib.import_module(f"{PACKAGE}.api.{tag}.{operation_id}")

    def model(self, name: str) -> Any:
        return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeneratedClient]:
    workdir = tmp_path_factory.mktemp("client")
    (workdir / "config.yaml").write_text(CONFIG, encoding="utf-8")
    # A proxy that refuses every connection: the generator must not need the network.
    env = {**os.environ, "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    result = subprocess.run(  # noqa: S603  (our own command line)
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(DOCUMENT),
            "--meta",
            "none",
            "--output-path",
            str(workdir / PACKAGE),
            "--config",
            str(workdir / "config.yaml"),
            "--fail-on-warning",
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"the client generator refused the API document:\n{result.stdout}{result.stderr}"
    sys.path.insert(0, str(workdir))
    try:
        yield GeneratedClient(importlib.import_module(PACKAGE))
    finally:
        sys.path.remove(str(workdir))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _token(generated: GeneratedClient, base_url: str, username: str) -> str:
    create_token = generated.operation("auth", "auth_token_create")
    with generated.package.Client(base_url=base_url, raise_on_unexpected_status=True) as anonymous:
        answer = create_token.sync_detailed(
            client=anonymous, body=generated.model("TokenIn")(username=username, password=PASSWORD, name="client test")
        )
    assert answer.status_code == 201, answer.content
    token: str = answer.parsed.token
    return token


def test_generated_client_creates_lists_reads_and_comments_on_a_ticket(
    generated: GeneratedClient, live_server: Any
) -> None:
    desk = factories.make_team("service-desk", is_intake=True)
    factories.make_user("agent", role=Role.AGENT, teams=[desk])
    # Transactional tests may start from an emptied database: nothing seeded is relied on.
    factories.make_user("alice", organization=factories.make_organization("Org A", level=None))
    base_url = str(live_server)
    client_class = generated.package.AuthenticatedClient
    alice = client_class(base_url=base_url, token=_token(generated, base_url, "alice"), raise_on_unexpected_status=True)
    agent = client_class(base_url=base_url, token=_token(generated, base_url, "agent"), raise_on_unexpected_status=True)
    ticket_out = generated.model("TicketOut")

    created = generated.operation("tickets", "tickets_create").sync_detailed(
        client=alice, body=generated.model("TicketCreateIn")(title="打印机卡纸", description="Tray 2 jams.")
    )
    assert created.status_code == 201, created.content
    assert isinstance(created.parsed, ticket_out)
    number = created.parsed.number

    page = generated.operation("tickets", "tickets_list").sync(client=agent, q=number)
    assert page.count == 1
    assert [item.number for item in page.items] == [number]
    assert page.items[0].title == "打印机卡纸"

    ticket = generated.operation("tickets", "tickets_get").sync(number, client=agent)
    assert isinstance(ticket, ticket_out)
    assert ticket.requester.username == "alice"
    assert ticket.description == "Tray 2 jams."
    assert ticket.status.value == "new"
    assert ticket.sla.state is not None

    comment_in = generated.model("CommentIn")
    reply = generated.operation("tickets", "tickets_comment_create").sync_detailed(
        number, client=agent, body=comment_in(body="A technician is on the way.")
    )
    assert reply.status_code == 201, reply.content
    assert reply.parsed.body == "A technician is on the way."

    timeline = generated.operation("tickets", "tickets_event_list").sync(number, client=alice)
    assert "A technician is on the way." in [event.body for event in timeline.items]

    # Refusals arrive as the documented error model, with the offending field.
    refused = generated.operation("tickets", "tickets_comment_create").sync_detailed(
        number, client=alice, body=comment_in(body="psst", is_internal=True)
    )
    assert refused.status_code == 403, refused.content
    assert isinstance(refused.parsed, generated.model("ErrorOut"))
    assert [error.field for error in refused.parsed.errors] == ["is_internal"]
