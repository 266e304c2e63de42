"""Inbound mail endpoints (administrators): the received mail and its quarantine, re-processing, `.eml` upload."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Path, Query, Router, Status
from ninja.files import UploadedFile

from sopdesk.core.api import check_form_parts, check_query_parameters, error_responses, request_user
from sopdesk.core.errors import ActionError, NotFound
from sopdesk.mail import actions
from sopdesk.mail.api.schemas import (
    InboundMailListParams,
    InboundMailOut,
    InboundMailPage,
    InboundMailPath,
    MailboxPath,
    inbound_mail_out,
)
from sopdesk.mail.choices import MailSource
from sopdesk.mail.intake import receive_raw
from sopdesk.mail.models import InboundMail, Mailbox
from sopdesk.mail.processing import process_mail

router = Router(tags=["mail"])

ERRORS = error_responses(400, 401, 403, 404, 422)
# An uploaded .eml larger than this is refused before it is read (the processing limit is the setting).
UPLOAD_MAX_BYTES = 64 * 1024 * 1024


def _mails() -> QuerySet[InboundMail]:
    return InboundMail.objects.defer("raw").select_related("mailbox", "ticket")


def _mail(mail_id: int) -> InboundMail:
    mail: InboundMail | None = _mails().filter(pk=mail_id).first()
    if mail is None:
        raise NotFound(_("No such inbound mail."))
    return mail


@router.get("/inbound", response={200: InboundMailPage, **ERRORS})
def list_inbound(request: HttpRequest, params: Query[InboundMailListParams]) -> dict[str, Any]:
    """List received mail, newest first, with its state (quarantined mail says why); administrators only."""
    check_query_parameters(request, InboundMailListParams)
    actions.check_may_manage_mail(request_user(request))
    rows = _mails()
    if params.state is not None:
        rows = rows.filter(state=params.state)
    if params.mailbox is not None:
        rows = rows.filter(mailbox_id=params.mailbox)
    rows = rows.order_by("-received_at", "-pk")
    page = list(rows[params.offset : params.offset + params.limit])
    return {"count": rows.count(), "items": [inbound_mail_out(mail) for mail in page]}


@router.get("/inbound/{mail_id}", response={200: InboundMailOut, **ERRORS})
def get_inbound(request: HttpRequest, path: Path[InboundMailPath]) -> dict[str, Any]:
    """One received mail with its header summary; administrators only."""
    actions.check_may_manage_mail(request_user(request))
    return inbound_mail_out(_mail(path.mail_id))


@router.post("/inbound/{mail_id}/reprocess", response={200: InboundMailOut, **ERRORS})
def reprocess_inbound(request: HttpRequest, path: Path[InboundMailPath]) -> dict[str, Any]:
    """Process a quarantined mail again (after fixing the cause, e.g. allowing new requesters); 422 otherwise."""
    actor = request_user(request)
    actions.check_may_manage_mail(actor)
    mail = actions.reprocess_mail(_mail(path.mail_id), actor=actor, now=timezone.now())
    return inbound_mail_out(_mail(mail.pk))


@router.post("/mailboxes/{mailbox_id}/messages", response={201: InboundMailOut, **ERRORS})
def upload_eml(request: HttpRequest, path: Path[MailboxPath], file: File[UploadedFile]) -> Status[Any]:
    """Upload a raw message (multipart field `file`, an `.eml`) into a mailbox: stored, then processed at once.

    The same message uploaded twice is stored once (same Message-ID, or the same bytes without one).
    """
    check_form_parts(request, frozenset({"file"}))
    actor = request_user(request)
    actions.check_may_manage_mail(actor)
    mailbox = Mailbox.objects.filter(pk=path.mailbox_id).first()
    if mailbox is None:
        raise NotFound(_("No such mailbox."))
    if (file.size or 0) > UPLOAD_MAX_BYTES:
        raise ActionError(_("The file is too large."), field="file")
    raw = file.read()
    if not raw.strip():
        raise ActionError(_("The file is empty."), field="file")
    mail = receive_raw(mailbox=mailbox, raw=raw, source=MailSource.UPLOAD, now=timezone.now())
    process_mail(mail.pk, now=timezone.now())
    return Status(201, inbound_mail_out(_mail(mail.pk)))
