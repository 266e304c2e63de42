"""Helpers that build and alter archives the way a damaged disk or an attacker would."""

from __future__ import annotations

import io
import tarfile
from datetime import UTC, datetime
from pathlib import Path

from sopdesk.backup.archive import ArchiveWriter, Manifest

CREATED_AT = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


def write_archive(
    path: Path,
    members: dict[str, bytes],
    *,
    engine: str = "sqlite",
    schema: dict[str, list[str]] | None = None,
) -> Manifest:
    """Write a well-formed archive holding `members` and return its manifest."""
    writer = ArchiveWriter(path)
    for name, data in members.items():
        writer.add_bytes(name, data)
    manifest = Manifest(
        engine=engine,
        sopdesk_version="0.1.0",
        created_at=CREATED_AT,
        schema=schema or {"tickets": ["0001_initial"]},
        members=tuple(writer.members),
    )
    writer.finish(manifest)
    return manifest


def repack(
    source: Path,
    target: Path,
    *,
    replace: dict[str, bytes] | None = None,
    add: dict[str, bytes] | None = None,
    drop: set[str] | None = None,
) -> None:
    """Copy the archive `source` to `target` member by member, changing, adding or dropping some."""
    replace, add, drop = replace or {}, add or {}, drop or set()
    with tarfile.open(source, "r:gz") as reader, tarfile.open(target, "w:gz") as writer:
        members = [(info, reader.extractfile(info)) for info in reader.getmembers()]
        extra = [(tarfile.TarInfo(name), data) for name, data in add.items()]
        for info, content in members:
            if info.name in drop:
                continue
            data = replace.get(info.name, content.read() if content else b"")
            info.size = len(data)
            writer.addfile(info, io.BytesIO(data))
        for info, data in extra:
            info.size = len(data)
            writer.addfile(info, io.BytesIO(data))
