"""The Simplified Chinese catalogue is complete, consistent with its sources and used by Django."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import polib  # type: ignore[import-untyped]
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from pytest_django import Settings

from sopdesk.tickets.choices import Priority, Status

CATALOGUE = Path(__file__).resolve().parent.parent / "sopdesk" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# %(name)s and %s style (python-format) and {{ name }} (template) placeholders; "%%" is a literal percent sign.
PLACEHOLDER = re.compile(
    r"%%|%\(\w+\)[-#0+]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%[-#0+]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|\{\{\s*[\w.|:]+\s*\}\}"
)


def _placeholders(text: str) -> set[str]:
    tokens = {re.sub(r"\s+", "", token) for token in PLACEHOLDER.findall(text)}
    return tokens - {"%%"}


def _label(entry: polib.POEntry) -> str:
    return repr(entry.msgid)


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(CATALOGUE))


@pytest.fixture(scope="module")
def active_entries(catalogue: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in catalogue if not entry.obsolete]


@pytest.fixture
def compiled_catalogue(settings: Settings) -> None:
    """Compile the catalogues and make Django reload them."""
    call_command("compiletranslations", verbosity=0)
    # Changing LOCALE_PATHS clears Django's process-wide translation cache, which may hold
    # a catalogue loaded before the .mo file existed.
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)


def test_catalogue_header_declares_simplified_chinese_with_one_plural_form(catalogue: polib.POFile) -> None:
    assert catalogue.metadata["Language"] == "zh_Hans"
    assert catalogue.metadata["Project-Id-Version"].startswith("sopdesk")
    assert "charset=UTF-8" in catalogue.metadata["Content-Type"]
    assert catalogue.metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    assert not catalogue.metadata_is_fuzzy


def test_every_entry_is_translated(active_entries: list[polib.POEntry]) -> None:
    untranslated = [
        _label(entry)
        for entry in active_entries
        if (not entry.msgstr.strip() if not entry.msgid_plural else not all(entry.msgstr_plural.values()))
    ]
    assert active_entries
    assert untranslated == []


def test_no_entry_is_fuzzy(active_entries: list[polib.POEntry]) -> None:
    assert [_label(entry) for entry in active_entries if "fuzzy" in entry.flags] == []


def test_catalogue_keeps_no_obsolete_entries(catalogue: polib.POFile) -> None:
    assert [_label(entry) for entry in catalogue.obsolete_entries()] == []


def test_plural_entries_fill_exactly_the_one_chinese_form(active_entries: list[polib.POEntry]) -> None:
    plural_entries = [entry for entry in active_entries if entry.msgid_plural]
    assert plural_entries
    assert [_label(entry) for entry in plural_entries if sorted(entry.msgstr_plural) != [0]] == []


def test_placeholders_of_every_translation_match_its_source(active_entries: list[polib.POEntry]) -> None:
    mismatched = []
    for entry in active_entries:
        if entry.msgid_plural:
            expected = _placeholders(entry.msgid_plural)
            translations = list(entry.msgstr_plural.values())
        else:
            expected = _placeholders(entry.msgid)
            translations = [entry.msgstr]
        mismatched += [(entry.msgid, text) for text in translations if text and _placeholders(text) != expected]
    assert mismatched == []


def test_catalogue_compiles_with_polib(catalogue: polib.POFile, tmp_path: Path) -> None:
    mo_path = tmp_path / "django.mo"
    catalogue.save_as_mofile(str(mo_path))
    with mo_path.open("rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)
    assert compiled.gettext("Pending customer") == "等待客户反馈"
    assert (
        compiled.ngettext(
            "You can follow %(counter)s request here.",
            "You can follow %(counter)s requests here.",
            2,
        )
        == "您可以在这里跟进 %(counter)s 个请求。"
    )


@pytest.mark.usefixtures("compiled_catalogue")
def test_django_renders_choice_labels_in_chinese() -> None:
    with translation.override("zh-hans"):
        assert str(Status.PENDING_CUSTOMER.label) == "等待客户反馈"
        assert str(Status.RESOLVED.label) == "已解决"
        assert str(Priority.P1.label) == "P1 紧急"
    with translation.override("en"):
        assert str(Status.PENDING_CUSTOMER.label) == "Pending customer"


@pytest.mark.usefixtures("compiled_catalogue")
def test_django_uses_the_single_chinese_plural_form_for_any_count() -> None:
    with translation.override("zh-hans"):
        for count in (1, 5):
            text = translation.ngettext(
                "You can follow %(counter)s request here.",
                "You can follow %(counter)s requests here.",
                count,
            ) % {"counter": count}
            assert text == f"您可以在这里跟进 {count} 个请求。"


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalogue")
def test_login_page_is_served_in_chinese_to_a_chinese_browser(client: Client) -> None:
    response = client.get("/login/", headers={"accept-language": "zh-hans"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>登录 · sopdesk</title>" in page
    assert "用户名" in page
    assert "密码" in page
