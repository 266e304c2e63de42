"""The archive format: round trip, and refusal of missing, truncated, damaged and altered files."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from sopdesk.backup.archive import (
    MANIFEST_NAME,
    ArchiveError,
    Manifest,
    archive_name,
    archives_to_delete,
    check_member_name,
    read_archive,
)
from sopdesk.backup.tests.archives import CREATED_AT, repack, write_archive

MEMBERS = {
    "database/sopdesk.sqlite3": b"SQLite format 3\x00" + bytes(range(256)) * 64,
    "attachments/2026/11/aaaa": "网络日志\n".encode() * 1000,
    "attachments/2026/11/bbbb": b"\x89PNG\r\n\x1a\n" + b"\x00" * 5000,
    "data/secret_key": b"not-a-real-key",
}


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "backup.tar.gz"
    write_archive(path, MEMBERS)
    return path


def test_an_archive_reads_back_with_every_member_and_its_checksum(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"

    report = read_archive(archive, lambda name: out / name)

    assert report.manifest.engine == "sqlite"
    assert report.manifest.created_at == CREATED_AT
    assert report.manifest.attachment_count == 2
    assert report.manifest.database_member.name == "database/sopdesk.sqlite3"
    for name, data in MEMBERS.items():
        assert (out / name).read_bytes() == data
        digest = next(m for m in report.manifest.members if m.name == name)
        assert digest.sha256 == hashlib.sha256(data).hexdigest()
        assert digest.size == len(data)


def test_the_manifest_is_readable_json_with_engine_version_time_and_schema(archive: Path) -> None:
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        content = tar.extractfile(MANIFEST_NAME)
        assert content is not None
        document = json.loads(content.read())
    assert names[-1] == MANIFEST_NAME
    assert document["format"] == "sopdesk-backup"
    assert document["engine"] == "sqlite"
    assert document["sopdesk_version"] == "0.1.0"
    assert document["created_at"] == "2026-11-21T02:00:00+00:00"
    assert document["schema"] == {"tickets": ["0001_initial"]}
    assert {m["name"] for m in document["members"]} == set(MEMBERS)


def test_archives_are_private_to_their_owner(archive: Path) -> None:
    assert archive.stat().st_mode & 0o077 == 0


def test_an_existing_file_is_never_overwritten(archive: Path) -> None:
    with pytest.raises(FileExistsError):
        write_archive(archive, MEMBERS)


def test_a_missing_file_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match=r"does not exist") as error:
        read_archive(tmp_path / "nope.tar.gz")
    assert "nope.tar.gz" in str(error.value)


@pytest.mark.parametrize("keep_fraction", [0.0, 0.1, 0.5, 0.9, 0.999])
def test_a_truncated_archive_is_refused_as_truncated(archive: Path, tmp_path: Path, keep_fraction: float) -> None:
    data = archive.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(data[: int(len(data) * keep_fraction)])
    out = tmp_path / "out"

    with pytest.raises(ArchiveError, match=r"truncated"):
        read_archive(cut, lambda name: out / name)


def test_a_flipped_byte_is_refused_as_damage(archive: Path, tmp_path: Path) -> None:
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(bytes(data))

    with pytest.raises(ArchiveError, match=r"damaged|altered"):
        read_archive(damaged)


def test_a_file_that_is_not_an_archive_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.tar.gz"
    text.write_text("these are not the backups you are looking for\n" * 20)

    with pytest.raises(ArchiveError, match=r"damaged or not a sopdesk backup"):
        read_archive(text)


def test_a_member_changed_after_the_backup_is_refused_as_altered(archive: Path, tmp_path: Path) -> None:
    tampered = tmp_path / "tampered.tar.gz"
    repack(archive, tampered, replace={"attachments/2026/11/aaaa": b"something else entirely"})

    with pytest.raises(ArchiveError, match=r"altered or damaged.*attachments/2026/11/aaaa"):
        read_archive(tampered)


def test_a_member_added_after_the_backup_is_refused(archive: Path, tmp_path: Path) -> None:
    tampered = tmp_path / "tampered.tar.gz"
    repack(archive, tampered, add={"attachments/2026/11/cccc": b"smuggled"})

    with pytest.raises(ArchiveError, match=r"not listed in its manifest"):
        read_archive(tampered)


def test_a_member_removed_after_the_backup_is_refused(archive: Path, tmp_path: Path) -> None:
    tampered = tmp_path / "tampered.tar.gz"
    repack(archive, tampered, drop={"attachments/2026/11/bbbb"})

    with pytest.raises(ArchiveError, match=r"incomplete.*attachments/2026/11/bbbb"):
        read_archive(tampered)


def test_an_archive_without_manifest_is_refused(archive: Path, tmp_path: Path) -> None:
    tampered = tmp_path / "tampered.tar.gz"
    repack(archive, tampered, drop={MANIFEST_NAME})

    with pytest.raises(ArchiveError, match=r"has no manifest"):
        read_archive(tampered)


def test_a_foreign_manifest_is_refused(archive: Path, tmp_path: Path) -> None:
    tampered = tmp_path / "tampered.tar.gz"
    repack(archive, tampered, replace={MANIFEST_NAME: b'{"format": "something-else"}'})

    with pytest.raises(ArchiveError, match=r"not a sopdesk backup"):
        read_archive(tampered)


@pytest.mark.parametrize(
    "name", ["../etc/passwd", "/etc/passwd", "attachments/../../x", "attachments//x", "other/x", "attachments\\x", ""]
)
def test_member_names_that_could_escape_the_target_are_refused(name: str) -> None:
    with pytest.raises(ArchiveError, match=r"unsafe or unknown member"):
        check_member_name(name)


def test_a_symbolic_link_in_the_archive_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    path = tmp_path / "links.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        link = tarfile.TarInfo("attachments/2026/11/link")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)
        manifest = tarfile.TarInfo(MANIFEST_NAME)
        tar.addfile(manifest, io.BytesIO(b""))
    out = tmp_path / "out"

    with pytest.raises(ArchiveError, match=r"unsafe or unknown member"):
        read_archive(path, lambda name: out / name)
    assert not out.exists()


def test_a_manifest_round_trips_through_json() -> None:
    manifest = Manifest(
        engine="postgresql",
        sopdesk_version="1.2.3",
        created_at=CREATED_AT,
        schema={"tickets": ["0002_b", "0001_a"], "accounts": ["0001_initial"]},
        members=(),
        missing_attachments=("2026/11/gone",),
    )
    with pytest.raises(ArchiveError, match=r"exactly one database"):
        Manifest.from_json(manifest.to_json())


def test_archive_names_sort_by_time_and_carry_utc() -> None:
    assert archive_name(CREATED_AT) == "sopdesk-backup-20261121T020000Z.tar.gz"


def test_retention_keeps_the_newest_archives_and_ignores_other_files() -> None:
    names = [
        "sopdesk-backup-20261118T190000Z.tar.gz",
        "sopdesk-backup-20261121T190000Z.tar.gz",
        "sopdesk-backup-20261119T190000Z.tar.gz",
        "sopdesk-backup-20261120T190000Z.tar.gz",
        "notes.txt",
        "sopdesk-backup-20261101T190000Z.tar.gz.partial",
        "my-own-copy.tar.gz",
    ]

    assert archives_to_delete(names, keep=2) == [
        "sopdesk-backup-20261118T190000Z.tar.gz",
        "sopdesk-backup-20261119T190000Z.tar.gz",
    ]
    assert archives_to_delete(names, keep=10) == []
