"""The users lock of a SQLite file: shared while processes use it, exclusive only for a replacement."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sopdesk.lib import inuse

_USER = """
import sys
from sopdesk.lib import inuse
inuse.hold_shared(sys.argv[1], timeout=5)
print("holding", flush=True)
sys.stdin.read()
"""


def test_a_replacement_is_refused_while_another_process_uses_the_database(tmp_path: Path) -> None:
    database = str(tmp_path / "sopdesk.sqlite3")
    user = subprocess.Popen(  # noqa: S603  (our own interpreter and script)
        [sys.executable, "-c", _USER, database], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert user.stdout is not None
        assert user.stdout.readline() == "holding\n"
        with pytest.raises(inuse.DatabaseInUse), inuse.exclusive(database):
            pass
    finally:
        user.communicate("", timeout=10)

    with inuse.exclusive(database):  # the user has exited: its lock went with it
        pass


def test_a_process_that_releases_its_use_no_longer_blocks_a_replacement(tmp_path: Path) -> None:
    database = str(tmp_path / "sopdesk.sqlite3")
    inuse.hold_shared(database, timeout=1)
    inuse.hold_shared(database, timeout=1)  # once per process
    with pytest.raises(inuse.DatabaseInUse), inuse.exclusive(database):
        pass

    inuse.release_shared(database)
    with inuse.exclusive(database):
        pass


def test_a_process_starting_during_a_replacement_waits_for_it_and_then_gives_up(tmp_path: Path) -> None:
    database = str(tmp_path / "sopdesk.sqlite3")
    with inuse.exclusive(database), pytest.raises(TimeoutError):
        inuse.hold_shared(database, timeout=0.05)
    inuse.hold_shared(database, timeout=1)
    inuse.release_shared(database)
