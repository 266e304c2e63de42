"""Article attachments for readers: the one download rule, their site address and the Markdown line that shows them."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from sopdesk.core.errors import NotFound
from sopdesk.kb.models import Article, ArticleAttachment
from sopdesk.kb.querysets import is_kb_staff
from sopdesk.tickets.attachments import INLINE_IMAGE_TYPES

# Characters that would end a Markdown image's alt text early.
_ALT_UNSAFE = str.maketrans({"[": "(", "]": ")", "\\": "/", "\n": " ", "\r": " "})


def _shown_by_live_version(attachment: ArticleAttachment) -> bool:
    """Whether the published version's text shows or links the file (readers get only those files)."""
    live = attachment.article.live_version
    if live is None:
        return False
    path = reverse("kb:file", args=[attachment.pk, "x"]).rsplit("/", 1)[0] + "/"
    fields = (live.problem, live.diagnosis, live.solution, live.notes, live.applies_to)
    return any(path in field for field in fields)


def get_attachment_for_user(user: Any, attachment_id: int) -> ArticleAttachment:
    """Return attachment `attachment_id` if `user` (anonymous too) may read it, else raise NotFound.

    Files belong to the article, and a draft may add one before it is published: staff read every
    file of the articles they see; other readers only the files the published version shows.
    """
    attachment: ArticleAttachment | None = (
        ArticleAttachment.objects.filter(pk=attachment_id, article__in=Article.objects.visible_to(user))
        .select_related("article__live_version")
        .first()
    )
    if attachment is None or (not is_kb_staff(user) and not _shown_by_live_version(attachment)):
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
