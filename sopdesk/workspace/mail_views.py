"""Mail pages of the workspace: the original of a mail on the timeline, and the quarantine (administrators).

The mail is read again from its stored raw; its HTML, already reduced to an allow-list when
parsed, is shown only inside a sandboxed frame served with a CSP that allows nothing, so that
even a sanitiser bug runs no script in the workspace. Attachments are always downloads, except
raster images whose bytes say they are images.
"""

from __future__ import annotations

import base64
import html as html_lib
import re
from typing import Any

import filetype
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from sopdesk.accounts.models import User
from sopdesk.core.errors import ActionError
from sopdesk.lib.filenames import sanitize_filename
from sopdesk.mail import actions, queries
from sopdesk.mail.choices import MailState
from sopdesk.mail.models import InboundMail
from sopdesk.mail.parsing import MailParseError, ParsedMail, parse_message
from sopdesk.tickets.attachments import INLINE_IMAGE_TYPES
from sopdesk.workspace.views import nav_context, staff_required

QUARANTINE_LIMIT = 200
_CID_IMAGE = re.compile(r'<img([^>]*?)\ssrc="cid:([^"]{1,200})"([^>]*)>')
# The framed mail: nothing loads but its own images (inlined), nothing runs, it cannot leave its frame.
# Its origin is opaque (sandbox): a request from it would carry no session, so images come as data: URLs.
_FRAME_POLICY = "default-src 'none'; img-src data:; frame-ancestors 'self'; sandbox"
INLINE_IMAGE_MAX_BYTES = 2 * 1024 * 1024
_DOWNLOAD_POLICY = "default-src 'none'; sandbox"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _parsed(mail: InboundMail) -> ParsedMail | None:
    try:
        return parse_message(mail.raw_bytes)
    except MailParseError:
        return None


def _is_raster_image(data: bytes) -> bool:
    return filetype.guess_mime(data[:8192]) in INLINE_IMAGE_TYPES


@require_GET
@staff_required
def original_mail(request: HttpRequest, mail_id: int) -> HttpResponse:
    user = _user(request)
    mail = queries.get_mail_for_user(user, mail_id)
    parsed = _parsed(mail)
    context: dict[str, Any] = {
        **nav_context(request, active="mail"),
        "mail": mail,
        "parsed": parsed,
        "attachments": list(enumerate(parsed.attachments)) if parsed else [],
        "may_see_raw": actions.may_manage_mail(user),
    }
    return render(request, "workspace/mail/original.html", context)


@require_GET
@staff_required
@xframe_options_sameorigin
def original_mail_html(request: HttpRequest, mail_id: int) -> HttpResponse:
    """The sanitised HTML body, for the sandboxed frame of the original-mail page only."""
    mail = queries.get_mail_for_user(_user(request), mail_id)
    parsed = _parsed(mail)
    if parsed is None or not parsed.html:
        raise Http404("No HTML body")
    images = {
        item.content_id: item.data
        for item in parsed.attachments
        if item.content_id and len(item.data) <= INLINE_IMAGE_MAX_BYTES and _is_raster_image(item.data)
    }

    def inline_image(match: re.Match[str]) -> str:
        data = images.get(html_lib.unescape(match.group(2)))
        if data is None:
            return ""  # not in the mail, or not an image: no broken picture
        source = f"data:{filetype.guess_mime(data[:8192])};base64,{base64.b64encode(data).decode()}"
        return f'<img{match.group(1)} src="{source}"{match.group(3)}>'

    body = _CID_IMAGE.sub(inline_image, parsed.html)
    document = f'<!doctype html><html><head><meta charset="utf-8"></head><body>{body}</body></html>'
    response = HttpResponse(document, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = _FRAME_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
@staff_required
def mail_attachment(request: HttpRequest, mail_id: int, index: int) -> HttpResponse:
    """One attachment of the original mail: a download; only a raster image may be shown inline (never SVG, HTML)."""
    mail = queries.get_mail_for_user(_user(request), mail_id)
    parsed = _parsed(mail)
    if parsed is None or not 0 <= index < len(parsed.attachments):
        raise Http404("No such attachment")
    item = parsed.attachments[index]
    inline = request.GET.get("inline") == "1" and _is_raster_image(item.data)
    content_type = filetype.guess_mime(item.data[:8192]) if inline else "application/octet-stream"
    response = HttpResponse(item.data, content_type=content_type)
    name = sanitize_filename(item.name).replace('"', "")
    response["Content-Disposition"] = "inline" if inline else f"attachment; filename*=UTF-8''{_quote(name)}"
    response["Content-Security-Policy"] = _DOWNLOAD_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


@require_GET
@staff_required
def mail_raw(request: HttpRequest, mail_id: int) -> HttpResponse:
    """The raw message exactly as received (administrators), as a download."""
    user = _user(request)
    if not actions.may_manage_mail(user):
        raise PermissionDenied
    mail = queries.get_mail_for_user(user, mail_id)
    response = HttpResponse(mail.raw_bytes, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="mail-{mail.pk}.eml"'
    response["Content-Security-Policy"] = _DOWNLOAD_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@staff_required
def quarantine(request: HttpRequest) -> HttpResponse:
    if not actions.may_manage_mail(_user(request)):
        raise PermissionDenied
    rows = queries.quarantined()
    context = {
        **nav_context(request, active="mail"),
        "mails": list(rows[:QUARANTINE_LIMIT]),
        "count": rows.count(),
        "limit": QUARANTINE_LIMIT,
    }
    return render(request, "workspace/mail/quarantine.html", context)


@require_POST
@staff_required
def quarantine_reprocess(request: HttpRequest, mail_id: int) -> HttpResponse:
    user = _user(request)
    if not actions.may_manage_mail(user):
        raise PermissionDenied
    mail = queries.get_mail_for_user(user, mail_id)
    try:
        result = actions.reprocess_mail(mail, actor=user, now=timezone.now())
    except ActionError as error:
        messages.error(request, error.message)
        return redirect("workspace:mail_quarantine")
    if result.state == MailState.QUARANTINED:
        messages.warning(request, _("Still quarantined: %(error)s") % {"error": result.error})
    elif result.ticket is not None:
        messages.success(request, _("Processed: the mail is on ticket %(number)s.") % {"number": result.ticket.number})
    else:
        messages.success(request, _("Processed: %(state)s.") % {"state": result.get_state_display()})
    return redirect("workspace:mail_quarantine")
