"""The knowledge base's one site page outside the workspace and the portal: an article's files."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from sopdesk.core.errors import NotFound
from sopdesk.kb.files import attachment_response, get_attachment_for_user


@require_GET
def article_file(request: HttpRequest, attachment_id: int, name: str) -> FileResponse:
    """Serve a file to whoever may read its article (anonymous readers of public articles too); else 404.

    The name in the address is for the reader's browser only; the id decides.
    """
    try:
        attachment = get_attachment_for_user(request.user, attachment_id)
    except NotFound:
        raise Http404("No such file") from None
    return attachment_response(attachment)
