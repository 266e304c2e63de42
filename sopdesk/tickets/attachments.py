"""Checks on uploaded files: size, allowed type by extension, and content sniffing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from sopdesk.core.errors import ActionError
from sopdesk.lib.filenames import extension_of, sanitize_filename
from sopdesk.tickets.models import Attachment

_OOXML = "application/zip"  # docx/xlsx/pptx are zip containers; either sniff result is fine
# Extension → content types the file's magic number may show. None: plain text, no signature.
ALLOWED_TYPES: dict[str, frozenset[str] | None] = {
    "png": frozenset({"image/png"}),
    "jpg": frozenset({"image/jpeg"}),
    "jpeg": frozenset({"image/jpeg"}),
    "gif": frozenset({"image/gif"}),
    "webp": frozenset({"image/webp"}),
    "bmp": frozenset({"image/bmp"}),
    "pdf": frozenset({"application/pdf"}),
    "zip": frozenset({"application/zip"}),
    "gz": frozenset({"application/gzip"}),
    "7z": frozenset({"application/x-7z-compressed"}),
    "docx": frozenset({"application/vnd.openxmlformats-officedocument.wordprocessingml.document", _OOXML}),
    "xlsx": frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _OOXML}),
    "pptx": frozenset({"application/vnd.openxmlformats-officedocument.presentationml.presentation", _OOXML}),
    "txt": None,
    "log": None,
    "csv": None,
    "json": None,
    "xml": None,
    "yaml": None,
    "yml": None,
    "conf": None,
    "cfg": None,
    "ini": None,
    "md": None,
}
_TEXT_CONTENT_TYPES = {"csv": "text/csv", "json": "application/json", "xml": "text/plain"}
_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    size: int
    sha256: str


def check_upload(upload: UploadedFile) -> CheckedUpload:
    """Validate an upload's size, extension and content; return its safe name and facts."""
    size = upload.size or 0
    limit = settings.SOPDESK_ATTACHMENT_MAX_BYTES
    if size == 0:
        raise ActionError(_("The file is empty."), field="file")
    if size > limit:
        raise ActionError(
            _("The file is too large (%(size)s); the limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            field="file",
        )
    name = sanitize_filename(upload.name or "")
    extension = extension_of(name)
    if extension not in ALLOWED_TYPES:
        raise ActionError(_("Files of type “.%(ext)s” are not accepted.") % {"ext": extension or "?"}, field="file")
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    sniffed = filetype.guess_mime(head)
    expected = ALLOWED_TYPES[extension]
    if expected is None:
        if sniffed is not None or b"\x00" in head:
            raise ActionError(_("The file content does not match its extension."), field="file")
        content_type = _TEXT_CONTENT_TYPES.get(extension, "text/plain")
    else:
        if sniffed not in expected:
            raise ActionError(_("The file content does not match its extension."), field="file")
        content_type = sorted(expected - {_OOXML})[0] if len(expected) > 1 else next(iter(expected))
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(name=name, content_type=content_type, size=size, sha256=digest.hexdigest())


# Raster images, checked by their magic numbers at upload, may be shown in the page (previews).
# Never SVG or HTML: those can carry script.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"})


def attachment_download_response(attachment: Attachment, *, inline: bool = False) -> FileResponse:
    """Return the stored file as a download that browsers never sniff; `inline` shows a raster image.

    Anything but a checked raster image is always a download, whatever `inline` says.
    """
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not (inline and attachment.content_type in INLINE_IMAGE_TYPES),
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
