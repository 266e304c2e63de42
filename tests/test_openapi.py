"""The API contract: the committed OpenAPI schema is valid, matches the code, names its operations
stably, and the schema and docs are served."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from ninja import Query, Router, Schema
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from pydantic import Field

from sopdesk.api import OPERATIONS
from sopdesk.core.api import DocumentedAPI, OperationName
from sopdesk.core.management.commands.export_openapi import render_schema

COMMITTED = Path(__file__).resolve().parent.parent / "docs" / "api" / "openapi.json"
REGENERATE = "sopdesk export_openapi docs/api/openapi.json"


def generated_schema() -> dict[str, Any]:
    """Return the schema as JSON sees it (ninja keys responses by int status codes)."""
    loaded: dict[str, Any] = json.loads(render_schema())
    return loaded


def operations(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return every operation of `schema` by its route, `"METHOD /path"` relative to /api/v1."""
    return {
        f"{method.upper()} {path.removeprefix('/api/v1')}": operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }


def test_committed_openapi_schema_matches_the_api() -> None:
    assert COMMITTED.exists(), f"{COMMITTED} is missing; create it with `{REGENERATE}`"
    committed = COMMITTED.read_text(encoding="utf-8")

    assert committed == render_schema(), (
        f"The API changed but docs/api/openapi.json did not. Regenerate it with `{REGENERATE}`, "
        "review the diff (is the change backwards compatible for API clients?) and commit it."
    )


def test_export_command_check_passes_for_the_committed_schema() -> None:
    out = StringIO()

    call_command("export_openapi", str(COMMITTED), "--check", stdout=out)

    assert "up to date" in out.getvalue()


def test_export_command_check_fails_readably_on_drift(tmp_path: Path) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text(render_schema().replace('"title": "sopdesk API"', '"title": "old API"'), encoding="utf-8")

    with pytest.raises(CommandError) as refused:
        call_command("export_openapi", str(stale), "--check", stdout=StringIO())

    message = str(refused.value)
    assert "differs" in message
    assert f"sopdesk export_openapi {stale}" in message
    assert '-  "title": "old API"' in message.replace("    ", "  ")


def test_export_command_check_fails_when_the_file_is_missing(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        call_command("export_openapi", str(tmp_path / "nope.json"), "--check")


def test_export_command_writes_stable_sorted_json_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "api" / "openapi.json"

    call_command("export_openapi", str(target), stdout=StringIO())

    text = target.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert json.loads(text) == generated_schema()


def test_export_command_writes_to_stdout_without_a_path() -> None:
    out = StringIO()

    call_command("export_openapi", stdout=out)

    assert out.getvalue() == render_schema()


def test_schema_documents_authentication_and_the_error_format() -> None:
    schema = generated_schema()

    assert schema["openapi"].startswith("3.1")
    assert set(schema["components"]["securitySchemes"]) == {"TokenAuth", "ActiveSessionAuth", "AlertSourceAuth"}
    assert set(schema["components"]["schemas"]["ErrorOut"]["properties"]) == {"detail", "errors"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if path != "/api/v1/auth/token":
                assert operation.get("security"), f"{method.upper()} {path} is not protected"
            if path.startswith("/api/v1/tickets"):
                assert {"401", "404", "422"} <= set(operation["responses"]), f"{method.upper()} {path}"


@pytest.mark.django_db
def test_openapi_json_is_served_without_authentication() -> None:
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == generated_schema()


@pytest.mark.django_db
def test_docs_page_is_served_with_local_assets_only() -> None:
    client = Client()

    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/v1/openapi.json" in html
    for cdn in ("cdn.", "unpkg", "jsdelivr", "cdnjs", "googleapis"):
        assert cdn not in html, f"the docs page loads assets from a CDN ({cdn})"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(asset.endswith(".js") for asset in assets)
    for asset in assets:
        assert asset.startswith("/"), f"{asset} is not served by sopdesk"
        assert client.get(asset).status_code == 200, asset


def test_committed_document_is_valid_openapi_3_1() -> None:
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))

    validate(document, cls=OpenAPIV31SpecValidator)


def test_every_operation_has_a_readable_unique_id_and_one_tag() -> None:
    found = operations(generated_schema())

    ids = [operation["operationId"] for operation in found.values()]
    for route, operation in found.items():
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", operation["operationId"]), route
        assert len(operation["tags"]) == 1, route
        assert operation["operationId"].startswith(operation["tags"][0] + "_"), route
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_every_route_is_named_in_the_operation_table_and_every_entry_is_a_route() -> None:
    routes = set(operations(generated_schema()))

    assert routes - set(OPERATIONS) == set(), "name these routes in OPERATIONS in sopdesk/api.py"
    assert set(OPERATIONS) - routes == set(), "these OPERATIONS entries name routes that do not exist"
    for route, operation in operations(generated_schema()).items():
        name = OPERATIONS[route]
        assert (operation["tags"], operation["operationId"]) == ([name.tag], name.operation_id)


def test_core_flow_operation_ids_are_the_documented_ones() -> None:
    # Generated clients are named after these ids: changing one breaks API users' code.
    found = {route: operation["operationId"] for route, operation in operations(generated_schema()).items()}

    assert {route: found.get(route) for route in CORE_FLOW} == CORE_FLOW


CORE_FLOW = {
    "POST /auth/token": "auth_token_create",
    "POST /auth/token/revoke": "auth_token_revoke",
    "GET /me": "me_get",
    "GET /tickets": "tickets_list",
    "POST /tickets": "tickets_create",
    "GET /tickets/{number}": "tickets_get",
    "PATCH /tickets/{number}": "tickets_update",
    "POST /tickets/{number}/transitions": "tickets_transition",
    "POST /tickets/{number}/assign": "tickets_assign",
    "POST /tickets/{number}/comments": "tickets_comment_create",
    "GET /tickets/{number}/events": "tickets_event_list",
    "GET /tickets/{number}/attachments": "tickets_attachment_list",
    "POST /tickets/{number}/attachments": "tickets_attachment_create",
    "GET /tickets/{number}/attachments/{attachment_id}": "tickets_attachment_download",
    "GET /notifications": "notifications_list",
    "GET /sla/calendars": "sla_calendars_list",
    "GET /sla/breaches": "sla_breaches_list",
}


def test_document_lists_every_tag_once_with_a_description() -> None:
    schema = generated_schema()

    names = [tag["name"] for tag in schema["tags"]]
    used = {operation["tags"][0] for operation in operations(schema).values()}
    assert sorted(names) == sorted(used)
    assert all(tag["description"] for tag in schema["tags"])


class _YearParams(Schema):
    year: int | None = Field(None, examples=[2026, 2027])


def _small_api() -> DocumentedAPI:
    router = Router()

    @router.get("/things")
    def list_things(request: Any, params: Query[_YearParams]) -> list[int]:
        return []

    @router.api_operation(["PUT", "PATCH"], "/things/{thing_id}")
    def change_thing(request: Any, thing_id: int) -> int:
        return thing_id

    api = DocumentedAPI(
        title="t",
        version="1",
        urls_namespace="openapi-test",
        operations={"GET /things": OperationName("things", "things_list")},
        tag_descriptions={"things": "Things."},
    )
    api.add_router("/", router)
    return api


def test_query_parameter_examples_become_a_map_of_example_objects() -> None:
    schema = dict(_small_api().get_openapi_schema(path_prefix="api/"))

    year = schema["paths"]["/api/things"]["get"]["parameters"][0]
    assert year["examples"] == {"example_1": {"value": 2026}, "example_2": {"value": 2027}}
    validate(json.loads(json.dumps(schema)), cls=OpenAPIV31SpecValidator)


def test_a_route_missing_from_the_table_still_gets_its_own_well_formed_id() -> None:
    schema = _small_api().get_openapi_schema(path_prefix="api/")

    thing = schema["paths"]["/api/things/{thing_id}"]
    assert schema["paths"]["/api/things"]["get"]["operationId"] == "things_list"
    assert (thing["put"]["operationId"], thing["patch"]["operationId"]) == ("things_put", "things_patch")
    assert thing["put"]["tags"] == ["things"]


def _api_models(base: type) -> dict[str, set[str]]:
    """Return the modules defining each name among the sopdesk subclasses of `base`, recursively."""
    names: dict[str, set[str]] = {}
    pending = list(base.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model.__module__.startswith("sopdesk.") and ".api." in model.__module__:
            names.setdefault(model.__name__, set()).add(model.__module__)
    return names


def test_every_api_schema_class_has_its_own_name() -> None:
    """ninja files schemas under their class name: two apps' classes of one name would share one
    entry, and one app's shape would silently describe the other's (it happened with CommentIn)."""
    import pydantic

    import sopdesk.api  # noqa: F401 - loads every app's schemas

    shared = {name: modules for name, modules in _api_models(pydantic.BaseModel).items() if len(modules) > 1}
    assert shared == {}
