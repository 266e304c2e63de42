"""The API contract: the committed OpenAPI schema matches the code, and the schema and docs are served."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from sopdesk.core.management.commands.export_openapi import render_schema

COMMITTED = Path(__file__).resolve().parent.parent / "docs" / "api" / "openapi.json"
REGENERATE = "sopdesk export_openapi docs/api/openapi.json"


def generated_schema() -> dict[str, Any]:
    """Return the schema as JSON sees it (ninja keys responses by int status codes)."""
    loaded: dict[str, Any] = json.loads(render_schema())
    return loaded


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
    assert set(schema["components"]["securitySchemes"]) == {"TokenAuth", "ActiveSessionAuth"}
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
