"""Write the REST API's OpenAPI schema, or check that a committed copy is current."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

MAX_DIFF_LINES = 40


def render_schema() -> str:
    """Return the OpenAPI schema as stable text: sorted keys, 2-space indent, trailing newline."""
    from sopdesk.api import api

    return json.dumps(api.get_openapi_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Write the OpenAPI schema of /api/v1 to PATH (or stdout); with --check, fail when PATH is out of date."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", help="File to write or check; stdout when omitted.")
        parser.add_argument(
            "--check", action="store_true", help="Do not write; exit with an error if PATH differs from the API."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        schema = render_schema()
        path: str | None = options["path"]
        if options["check"]:
            if not path:
                raise CommandError("--check needs the PATH of the committed schema.")
            self._check(Path(path), schema)
            return
        if not path:
            self.stdout.write(schema, ending="")
            return
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(schema, encoding="utf-8")
        self.stdout.write(f"wrote {target}")

    def _check(self, path: Path, schema: str) -> None:
        regenerate = f"Regenerate it with: sopdesk export_openapi {path}"
        if not path.exists():
            raise CommandError(f"{path} does not exist. {regenerate}")
        committed = path.read_text(encoding="utf-8")
        if committed == schema:
            self.stdout.write(f"{path} is up to date")
            return
        diff = list(
            difflib.unified_diff(
                committed.splitlines(), schema.splitlines(), f"{path} (committed)", "generated", lineterm=""
            )
        )
        shown = "\n".join(diff[:MAX_DIFF_LINES])
        more = f"\n… {len(diff) - MAX_DIFF_LINES} more diff lines" if len(diff) > MAX_DIFF_LINES else ""
        raise CommandError(f"{path} differs from the API's schema. {regenerate}\n{shown}{more}")
