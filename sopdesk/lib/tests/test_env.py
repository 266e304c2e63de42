"""Typed environment-variable readers (pure logic)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sopdesk.lib.env import EnvError, env_bool, env_int, env_list, env_secret, env_str

NAME = "SOPDESK_TEST_VARIABLE"


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NAME, raising=False)
    monkeypatch.delenv(f"{NAME}_FILE", raising=False)


def test_env_str_returns_the_default_when_unset() -> None:
    assert env_str(NAME, "fallback") == "fallback"


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("TRUE", True), (" yes ", True), ("on", True)])
def test_env_bool_accepts_the_usual_true_spellings(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv(NAME, raw)
    assert env_bool(NAME) is expected


@pytest.mark.parametrize("raw", ["0", "false", "No", "off", ""])
def test_env_bool_accepts_the_usual_false_spellings(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(NAME, raw)
    assert env_bool(NAME, default=True) is False


def test_env_bool_fails_loudly_on_anything_else(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "maybe")
    with pytest.raises(EnvError, match=NAME):
        env_bool(NAME)


def test_env_bool_returns_the_default_when_unset() -> None:
    assert env_bool(NAME, default=True) is True


def test_env_int_parses_integers_and_uses_the_default_when_blank(monkeypatch: pytest.MonkeyPatch) -> None:
    assert env_int(NAME, 7) == 7
    monkeypatch.setenv(NAME, " ")
    assert env_int(NAME, 7) == 7
    monkeypatch.setenv(NAME, "42")
    assert env_int(NAME, 7) == 42


@pytest.mark.parametrize("raw", ["forty", "4.2", "0x10"])
def test_env_int_fails_loudly_on_non_integers(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(NAME, raw)
    with pytest.raises(EnvError, match="integer"):
        env_int(NAME, 1)


def test_env_int_enforces_the_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "0")
    with pytest.raises(EnvError, match="at least 1"):
        env_int(NAME, 5, minimum=1)


def test_env_list_splits_on_commas_and_drops_empty_items(monkeypatch: pytest.MonkeyPatch) -> None:
    assert env_list(NAME, ["a"]) == ["a"]
    monkeypatch.setenv(NAME, " example.com, ,localhost ,")
    assert env_list(NAME) == ["example.com", "localhost"]


def test_env_secret_prefers_the_file_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-file\n", encoding="utf-8")
    monkeypatch.setenv(NAME, "from-env")
    monkeypatch.setenv(f"{NAME}_FILE", str(secret_file))
    assert env_secret(NAME) == "from-file"


def test_env_secret_reads_the_plain_variable_without_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "from-env")
    assert env_secret(NAME) == "from-env"


def test_env_secret_fails_loudly_on_an_unreadable_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(f"{NAME}_FILE", str(tmp_path / "missing"))
    with pytest.raises(EnvError, match=f"{NAME}_FILE"):
        env_secret(NAME)
