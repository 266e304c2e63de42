"""The backup archive format: a gzip-compressed tar of named members plus a manifest of checksums.

Pure file-format logic, independent of settings and databases: members are hashed while they
are written, and reading an archive back checks every member against the manifest and refuses
anything unsafe (links, absolute paths, `..`) or altered. Error messages are marked for
translation here and translated where they are shown.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import tarfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.utils.translation import gettext_noop

FORMAT = "sopdesk-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
ENGINES = frozenset({"sqlite", "postgresql"})
DATABASE_PREFIX = "database/"
ATTACHMENTS_PREFIX = "attachments/"
DATA_PREFIX = "data/"
_MEMBER_PREFIXES = (DATABASE_PREFIX, ATTACHMENTS_PREFIX, DATA_PREFIX)
_MAX_MANIFEST_BYTES = 256 * 1024 * 1024
_CHUNK_BYTES = 1024 * 1024
# Attachments are mostly compressed already (images, archives, PDFs) and so is a pg_dump; the
# fastest level still shrinks a SQLite file several times without making the daily job CPU-bound.
_COMPRESS_LEVEL = 1


class ArchiveError(Exception):
    """An archive that cannot be written or trusted; `template % params` says why, in English."""

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template % params if params else template)
        self.template = template
        self.params = params


@dataclass(frozen=True)
class MemberDigest:
    """One member of an archive: its name, size in bytes and SHA-256."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What an archive holds and where it came from."""

    engine: str
    sopdesk_version: str
    created_at: datetime
    schema: dict[str, list[str]]
    members: tuple[MemberDigest, ...]
    missing_attachments: tuple[str, ...] = ()

    @property
    def database_member(self) -> MemberDigest:
        """Return the member holding the database."""
        return next(m for m in self.members if m.name.startswith(DATABASE_PREFIX))

    @property
    def attachment_count(self) -> int:
        return sum(1 for m in self.members if m.name.startswith(ATTACHMENTS_PREFIX))

    def to_json(self) -> bytes:
        """Return the manifest as stable, human-readable JSON."""
        document = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "engine": self.engine,
            "sopdesk_version": self.sopdesk_version,
            "created_at": self.created_at.astimezone(UTC).isoformat(),
            "schema": {app: sorted(names) for app, names in sorted(self.schema.items())},
            "members": [{"name": m.name, "size": m.size, "sha256": m.sha256} for m in self.members],
            "missing_attachments": list(self.missing_attachments),
        }
        return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        """Parse a manifest; raise ArchiveError when it is not one this version can read."""
        try:
            document = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ArchiveError(gettext_noop("The archive's manifest is not valid JSON.")) from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ArchiveError(gettext_noop("The archive is not a sopdesk backup (its manifest is foreign)."))
        if document.get("format_version") != FORMAT_VERSION:
            raise ArchiveError(
                gettext_noop("The archive has format version %(version)s; this sopdesk reads version %(known)s."),
                version=document.get("format_version"),
                known=FORMAT_VERSION,
            )
        try:
            manifest = cls(
                engine=_text(document["engine"]),
                sopdesk_version=_text(document["sopdesk_version"]),
                created_at=datetime.fromisoformat(_text(document["created_at"])),
                schema={_text(app): [_text(n) for n in names] for app, names in dict(document["schema"]).items()},
                members=tuple(
                    MemberDigest(name=_text(m["name"]), size=int(m["size"]), sha256=_text(m["sha256"]))
                    for m in document["members"]
                ),
                missing_attachments=tuple(_text(n) for n in document.get("missing_attachments", [])),
            )
        except (KeyError, TypeError, ValueError):
            raise ArchiveError(gettext_noop("The archive's manifest is incomplete or malformed.")) from None
        if manifest.engine not in ENGINES:
            raise ArchiveError(gettext_noop("The archive's manifest names an unknown database engine."))
        databases = [m for m in manifest.members if m.name.startswith(DATABASE_PREFIX)]
        if len(databases) != 1:
            raise ArchiveError(gettext_noop("The archive's manifest does not list exactly one database."))
        for member in manifest.members:
            check_member_name(member.name)
        return manifest


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def check_member_name(name: str) -> None:
    """Refuse member names that could escape the target folder or are not ours."""
    path = PurePosixPath(name)
    is_safe = (
        bool(name)
        and "\\" not in name
        and "\x00" not in name
        and not path.is_absolute()
        and all(part not in {"", ".", ".."} for part in name.split("/"))
        and (name == MANIFEST_NAME or name.startswith(_MEMBER_PREFIXES))
    )
    if not is_safe:
        raise ArchiveError(gettext_noop("The archive holds an unsafe or unknown member %(name)r."), name=name)


class _HashingReader:
    """A read-only file wrapper that hashes and counts what passes through it."""

    def __init__(self, handle: IO[bytes] | _BytesReader) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


class ArchiveWriter:
    """Write members into a new archive file, hashing each; the manifest goes last."""

    def __init__(self, path: Path) -> None:
        # Created exclusively and private: an archive holds every ticket and the password hashes.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._file = os.fdopen(descriptor, "wb")
        self._tar = tarfile.open(  # noqa: SIM115  (closed in close())
            fileobj=self._file, mode="w:gz", compresslevel=_COMPRESS_LEVEL, format=tarfile.PAX_FORMAT
        )
        self.members: list[MemberDigest] = []

    def add_file(self, name: str, source: Path) -> MemberDigest:
        """Add the file `source` as member `name`; return its digest."""
        check_member_name(name)
        with source.open("rb") as handle:
            stat = os.fstat(handle.fileno())
            reader = _HashingReader(handle)
            self._tar.addfile(self._info(name, stat.st_size, int(stat.st_mtime)), reader)  # type: ignore[arg-type]
        return self._record(name, reader.size, reader.digest.hexdigest())

    def add_bytes(self, name: str, data: bytes, *, mtime: int = 0) -> MemberDigest:
        """Add `data` as member `name`; return its digest."""
        if name != MANIFEST_NAME:
            check_member_name(name)
        reader = _HashingReader(_BytesReader(data))
        self._tar.addfile(self._info(name, len(data), mtime), reader)  # type: ignore[arg-type]
        return self._record(name, reader.size, reader.digest.hexdigest())

    def finish(self, manifest: Manifest) -> None:
        """Append `manifest` (which must list every member written) and close the archive."""
        if set(manifest.members) != set(self.members):
            raise ArchiveError(gettext_noop("The manifest does not match the members written."))
        self.add_bytes(MANIFEST_NAME, manifest.to_json(), mtime=int(manifest.created_at.timestamp()))
        self.close()

    def close(self) -> None:
        self._tar.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()

    def _info(self, name: str, size: int, mtime: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = mtime
        info.mode = 0o600
        return info

    def _record(self, name: str, size: int, sha256: str) -> MemberDigest:
        digest = MemberDigest(name=name, size=size, sha256=sha256)
        if name != MANIFEST_NAME:
            self.members.append(digest)
        return digest


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self._offset = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._offset + size
        chunk = bytes(self._data[self._offset : end])
        self._offset += len(chunk)
        return chunk


# Given a member name, return the file to write its bytes to, or None to only check them.
MemberSink = Callable[[str], Path | None]


@dataclass
class ReadReport:
    """What reading an archive found: its manifest and the bytes read."""

    manifest: Manifest
    archive_bytes: int
    member_bytes: int = field(default=0)


def read_archive(path: Path, sink: MemberSink | None = None) -> ReadReport:
    """Read every member of the archive at `path`, write those `sink` asks for, and check them all.

    Raise ArchiveError when the file is missing, not an archive, truncated, or when any member
    differs from the manifest (altered, missing, added, unsafe).
    """
    try:
        archive_bytes = path.stat().st_size
    except FileNotFoundError:
        raise ArchiveError(gettext_noop("The backup file %(path)s does not exist."), path=str(path)) from None
    except OSError as exc:
        raise ArchiveError(
            gettext_noop("The backup file %(path)s cannot be read: %(reason)s"), path=str(path), reason=exc.strerror
        ) from None
    if not path.is_file():
        raise ArchiveError(gettext_noop("%(path)s is not a file."), path=str(path))
    found: dict[str, MemberDigest] = {}
    manifest_raw: bytes | None = None
    # Stream mode reads front to back once and never seeks, so big archives are cheap. GzipFile
    # (not tarfile's own gzip reader) checks the CRC and length trailer at the end.
    with (
        _reading_errors(path),
        gzip.GzipFile(path, "rb") as stream,
        tarfile.open(fileobj=stream, mode="r|") as tar,
    ):
        for info in tar:
            name = info.name
            if not info.isfile():
                raise ArchiveError(gettext_noop("The archive holds an unsafe or unknown member %(name)r."), name=name)
            check_member_name(name)
            if name in found or (name == MANIFEST_NAME and manifest_raw is not None):
                raise ArchiveError(gettext_noop("The archive holds member %(name)r twice."), name=name)
            content = tar.extractfile(info)
            if content is None:  # pragma: no cover - regular files always have content
                raise ArchiveError(gettext_noop("The archive is damaged."))
            if name == MANIFEST_NAME:
                if info.size > _MAX_MANIFEST_BYTES:
                    raise ArchiveError(gettext_noop("The archive's manifest is implausibly large."))
                manifest_raw = content.read()
                if len(manifest_raw) != info.size:
                    raise _truncated(path)
                continue
            found[name] = _copy_member(content, name, info.size, sink(name) if sink else None, path)
        # Read past tar's end marker to the gzip trailer, so a cut-off tail is noticed too.
        while stream.read(_CHUNK_BYTES):
            pass
    if manifest_raw is None:
        raise ArchiveError(
            gettext_noop("%(path)s has no manifest: it is not a sopdesk backup, or it is incomplete."),
            path=str(path),
        )
    manifest = Manifest.from_json(manifest_raw)
    _compare(manifest, found)
    return ReadReport(manifest=manifest, archive_bytes=archive_bytes, member_bytes=sum(m.size for m in found.values()))


def _copy_member(content: IO[bytes], name: str, size: int, target: Path | None, archive: Path) -> MemberDigest:
    digest = hashlib.sha256()
    copied = 0
    output: IO[bytes] | None = None
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        output = open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")  # noqa: SIM115
    try:
        while chunk := content.read(_CHUNK_BYTES):
            digest.update(chunk)
            copied += len(chunk)
            if output is not None:
                output.write(chunk)
    finally:
        if output is not None:
            output.close()
    if copied != size:
        raise _truncated(archive)
    return MemberDigest(name=name, size=copied, sha256=digest.hexdigest())


def _compare(manifest: Manifest, found: dict[str, MemberDigest]) -> None:
    expected = {m.name: m for m in manifest.members}
    missing = sorted(expected.keys() - found.keys())
    if missing:
        raise ArchiveError(
            gettext_noop(
                "The archive is incomplete: %(count)s member(s) listed in its manifest are missing, e.g. %(name)s."
            ),
            count=len(missing),
            name=missing[0],
        )
    added = sorted(found.keys() - expected.keys())
    if added:
        raise ArchiveError(
            gettext_noop("The archive was altered: member %(name)s is not listed in its manifest."), name=added[0]
        )
    altered = sorted(name for name, digest in found.items() if digest != expected[name])
    if altered:
        raise ArchiveError(
            gettext_noop(
                "The archive was altered or damaged: the checksum of %(count)s member(s) does not match its "
                "manifest, e.g. %(name)s."
            ),
            count=len(altered),
            name=altered[0],
        )


def _truncated(path: Path) -> ArchiveError:
    return ArchiveError(
        gettext_noop("The backup file %(path)s is truncated: it ends before the archive does."), path=str(path)
    )


@contextmanager
def _reading_errors(path: Path) -> Iterator[None]:
    """Turn the many ways tar and gzip fail into ArchiveErrors that say what happened."""
    try:
        yield
    except EOFError:
        raise _truncated(path) from None
    except tarfile.ReadError as exc:
        if "unexpected end of data" in str(exc) or "empty file" in str(exc):
            raise _truncated(path) from None
        raise _corrupt(path) from None
    except (gzip.BadGzipFile, zlib.error, tarfile.TarError):
        raise _corrupt(path) from None
    except OSError as exc:
        raise ArchiveError(
            gettext_noop("The backup file %(path)s cannot be read: %(reason)s"),
            path=str(path),
            reason=exc.strerror or str(exc),
        ) from None


def _corrupt(path: Path) -> ArchiveError:
    return ArchiveError(
        gettext_noop("The backup file %(path)s is damaged or not a sopdesk backup (not a readable .tar.gz archive)."),
        path=str(path),
    )


# --- naming and retention -----------------------------------------------------------------

ARCHIVE_PREFIX = "sopdesk-backup-"
ARCHIVE_SUFFIX = ".tar.gz"
_ARCHIVE_NAME = re.compile(r"^sopdesk-backup-(\d{8}T\d{6}Z)\.tar\.gz$")


def archive_name(created_at: datetime) -> str:
    """Return the file name of an archive made at `created_at`; names sort by time."""
    return f"{ARCHIVE_PREFIX}{created_at.astimezone(UTC):%Y%m%dT%H%M%SZ}{ARCHIVE_SUFFIX}"


def archives_to_delete(names: list[str], *, keep: int) -> list[str]:
    """Return the archive names beyond the `keep` newest; other file names are never chosen."""
    ours = sorted((name for name in names if _ARCHIVE_NAME.match(name)), reverse=True)
    return sorted(ours[keep:])
