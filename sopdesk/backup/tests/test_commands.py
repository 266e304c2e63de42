"""`sopdesk backup` and `sopdesk restore` as an operator runs them: readable errors, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sopdesk.backup.tests.archives import repack

REPO = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.slow


def sopdesk(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    # Always the embedded SQLite mode: the PostgreSQL path is covered by test_actions.py.
    environment = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    environment.update(SOPDESK_DATA_DIR=str(data_dir), SOPDESK_LANGUAGE="en")
    return subprocess.run(  # noqa: S603  (our own command line)
        [sys.executable, "-m", "sopdesk.cli", *args],
        env=environment,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of a freshly migrated instance, made through the command line."""
    data_dir = tmp_path_factory.mktemp("instance")
    assert sopdesk("migrate", "-v0", data_dir=data_dir).returncode == 0
    path = tmp_path_factory.mktemp("archives") / "backup.tar.gz"
    result = sopdesk("backup", "--output", str(path), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    for stage in ("Copying the database", "Database copied: SQLite", "Writing the manifest", "Backup written"):
        assert stage in result.stdout
    return path


def test_verify_reports_an_intact_archive(archive: Path, tmp_path: Path) -> None:
    result = sopdesk("backup", "--verify", str(archive), data_dir=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "SQLite integrity check passed" in result.stdout
    assert "The backup is intact: SQLite database, 0 attachments" in result.stdout


def test_restore_into_an_empty_directory_then_refuse_it_without_force(archive: Path, tmp_path: Path) -> None:
    target = tmp_path / "restored"

    first = sopdesk("restore", str(archive), "--data-dir", str(target), data_dir=tmp_path / "own")
    again = sopdesk("restore", str(archive), "--data-dir", str(target), data_dir=tmp_path / "own")
    forced = sopdesk("restore", str(archive), "--data-dir", str(target), "--force", data_dir=tmp_path / "own")

    assert first.returncode == 0, first.stderr
    assert "Restore complete" in first.stdout
    assert (target / "sopdesk.sqlite3").is_file()
    assert_refused(again, "already holds data. Add --force to replace it.")
    assert forced.returncode == 0, forced.stderr
    check = sopdesk("migrate", "--check", data_dir=target)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_missing_file_is_refused_readably(tmp_path: Path) -> None:
    result = sopdesk("backup", "--verify", str(tmp_path / "nope.tar.gz"), data_dir=tmp_path)

    assert_refused(result, "does not exist")


def test_truncated_and_tampered_files_are_refused_readably(archive: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[:-100])
    tampered = tmp_path / "tampered.tar.gz"
    repack(archive, tampered, replace={"data/secret_key": b"an attacker's key"})

    assert_refused(sopdesk("backup", "--verify", str(truncated), data_dir=tmp_path), "is truncated")
    assert_refused(sopdesk("backup", "--verify", str(tampered), data_dir=tmp_path), "altered or damaged")
    restore = sopdesk("restore", str(tampered), "--data-dir", str(tmp_path / "r"), data_dir=tmp_path)
    assert_refused(restore, "altered or damaged")
    assert not (tmp_path / "r" / "secret_key").exists()
    assert not (tmp_path / "r" / "sopdesk.sqlite3").exists()
