"""Upload checks: size, allowed extension, content sniffing and safe names."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pytest_django import Settings

from sopdesk.core.errors import ActionError
from sopdesk.tickets.attachments import ALLOWED_TYPES, CheckedUpload, check_upload

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64
HTML = b"<!DOCTYPE html><html><body><script>document.location='https://evil.example/'</script></body></html>"


def zipped(**members: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name.replace("__", "/"), text)
    return buffer.getvalue()


DOCX = zipped(**{"[Content_Types].xml": "<Types/>", "word__document.xml": "<w:document/>"})
ZIP = zipped(**{"logs__app.log": "started\n"})


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def refused(name: str, content: bytes) -> ActionError:
    with pytest.raises(ActionError) as excinfo:
        check_upload(upload(name, content))
    assert excinfo.value.field == "file"
    return excinfo.value


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("screenshot.png", PNG, "image/png"),
        ("SCREENSHOT.PNG", PNG, "image/png"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("anim.gif", GIF, "image/gif"),
        ("manual.pdf", PDF, "application/pdf"),
        ("logs.zip", ZIP, "application/zip"),
        ("report.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("notes.txt", "打印机报错 E-42\r\n".encode(), "text/plain"),
        ("app.log", b"2026-03-02 ERROR spooler\n", "text/plain"),
        ("export.csv", b"a,b\n1,2\n", "text/csv"),
        ("data.json", b'{"ok": true}', "application/json"),
        ("page-source.txt", HTML, "text/plain"),  # markup is only text; downloads are never rendered
    ],
)
def test_allowed_files_pass_with_a_content_type_we_chose(name: str, content: bytes, content_type: str) -> None:
    checked = check_upload(upload(name, content, content_type="text/html"))
    assert checked.name == name
    assert checked.content_type == content_type
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


def test_the_upload_is_rewound_after_the_check() -> None:
    file = upload("notes.txt", b"hello\n")
    check_upload(file)
    assert file.read() == b"hello\n"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../tmp/report.pdf", "report.pdf"),
        ("C:\\fakepath\\report.pdf", "report.pdf"),
        ("\x00report.pdf", "report.pdf"),
        (".report.pdf", "report.pdf"),
    ],
)
def test_hostile_names_are_reduced_to_a_safe_name(name: str, expected: str) -> None:
    assert check_upload(upload(name, PDF)).name == expected


def test_a_path_traversal_name_without_an_allowed_extension_is_refused() -> None:
    refused("../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n")


def test_a_right_to_left_override_cannot_disguise_an_executable() -> None:
    # Shown as "aexe.png" by bidi-aware software; really "a<RLO>gnp.exe".
    error = refused("a\u202egnp.exe", EXE)
    assert ".exe" in error.message


@pytest.mark.parametrize("name", ["page.html", "page.htm", "logo.svg", "setup.exe", "run.bat", "x.js", "x.sh", "x.php"])
def test_disallowed_extensions_are_refused(name: str) -> None:
    refused(name, b"hello")


def test_double_extensions_are_judged_by_the_last_one() -> None:
    refused("invoice.pdf.exe", EXE)
    assert check_upload(upload("invoice.exe.pdf", PDF)).name == "invoice.exe.pdf"


def test_a_file_without_an_extension_is_refused() -> None:
    assert "?" in refused("Makefile", b"all:\n").message


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.png", HTML),
        ("photo.png", EXE),
        ("photo.png", JPEG),
        ("photo.jpg", PNG),
        ("manual.pdf", b"just text pretending to be a PDF"),
        ("report.docx", b"plain text"),
        ("archive.zip", PDF),
        ("notes.txt", b"text with a NUL \x00 byte"),
        ("notes.txt", ELF),
        ("notes.txt", PNG),
        ("data.csv", EXE),
    ],
)
def test_content_that_does_not_match_the_extension_is_refused(name: str, content: bytes) -> None:
    assert "does not match" in refused(name, content).message


def test_an_empty_file_is_refused() -> None:
    assert "empty" in refused("notes.txt", b"").message


def test_a_file_over_the_limit_is_refused_and_one_at_the_limit_accepted(settings: Settings) -> None:
    settings.SOPDESK_ATTACHMENT_MAX_BYTES = 64
    assert check_upload(upload("notes.txt", b"x" * 64)).size == 64
    assert "too large" in refused("notes.txt", b"x" * 65).message


def test_no_executable_or_markup_type_is_ever_allowed() -> None:
    assert {"html", "htm", "svg", "xhtml", "js", "exe", "bat", "cmd", "sh", "php", "jar", "msi"}.isdisjoint(
        ALLOWED_TYPES
    )


@hypothesis_settings(max_examples=150)
@given(
    name=st.text(max_size=60) | st.sampled_from(["a.png", "b.txt", "c.pdf", "../d.zip", "e.exe", "f"]),
    content=st.binary(min_size=0, max_size=256) | st.sampled_from([PNG, PDF, EXE, HTML, ZIP]),
)
def test_any_upload_is_either_refused_on_the_file_field_or_accepted_with_a_safe_name(name: str, content: bytes) -> None:
    try:
        file = upload(name, content)
    except SuspiciousFileOperation:
        assume(False)  # Django's upload object refuses such names before our code sees them
    outcome: CheckedUpload | ActionError
    try:
        outcome = check_upload(file)
    except ActionError as error:
        outcome = error
    if isinstance(outcome, ActionError):
        assert outcome.field == "file"
        return
    checked = outcome
    assert "/" not in checked.name
    assert "\\" not in checked.name
    assert checked.name.rpartition(".")[2].lower() in ALLOWED_TYPES
    assert checked.size == len(content) > 0
