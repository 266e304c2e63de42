"""Article attachments for readers: the one download rule, their site address and the Markdown line that shows them."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from sopdesk.core.errors import NotFound
from sopdesk.kb.models import Article, ArticleAttachment
from sopdesk.tickets.attachments import INLINE_IMAGE_TYPES

# Characters that would end a Markdown image's alt text early.
_ALT_UNSAFE = str.maketrans({"[": "(", "]": ")", "\\": "/", "\n": " ", "\r": " "})


def get_attachment_for_user(user: Any, attachment_id: int) -> ArticleAttachment:
    """Return attachment `attachment_id` if `user` (anonymous too) may read its article, else raise NotFound."""
    attachment: ArticleAttachment | None = (
        ArticleAttachment.objects.filter(pk=attachment_id, article__in=Article.objects.visible_to(user))
        .select_related("article")
        .first()
    )
    if attachment is None:
        raise NotFound(_("No such file."))
    return attachment


def attachment_url(attachment: ArticleAttachment) -> str:
    """The site path of the file, with its (safe) name last so a saved download keeps it."""
    return reverse("kb:file", args=[attachment.pk, attachment.original_name])


def is_image(attachment: ArticleAttachment) -> bool:
    return attachment.content_type in INLINE_IMAGE_TYPES


def markdown_line(attachment: ArticleAttachment) -> str:
    """The Markdown that shows the image (or links the file) in an article."""
    # reverse() percent-encodes the name but leaves parentheses, which would end the Markdown link.
    url = attachment_url(attachment).replace("(", "%28").replace(")", "%29")
    label = attachment.original_name.translate(_ALT_UNSAFE)
    return f"![{label}]({url})" if is_image(attachment) else f"[{label}]({url})"


def attachment_response(attachment: ArticleAttachment) -> FileResponse:
    """The stored file: a checked raster image inline, anything else a download; browsers never sniff."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not is_image(attachment),
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-cache"
    return response
