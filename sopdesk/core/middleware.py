"""Request and response rules for every path: body size limits, no caching of private answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

API_PATH_PREFIX = "/api/"
# Room for multipart boundaries and the other form fields next to the file.
MULTIPART_OVERHEAD_BYTES = 1024 * 1024


class RequestSizeLimitMiddleware:
    """Answer 413 to request bodies whose declared length exceeds their limit, before anything reads them.

    Uploads (multipart) may carry one attachment; other bodies (JSON, forms) are limited to
    DATA_UPLOAD_MAX_MEMORY_SIZE. Django streams file parts to temporary files without a size cap,
    so a huge upload would otherwise be written to disk before the attachment check could refuse
    it. API clients get the API's JSON error format.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        is_upload = request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data")
        if is_upload:
            limit, shown_limit = (
                settings.SOPDESK_ATTACHMENT_MAX_BYTES + MULTIPART_OVERHEAD_BYTES,
                settings.SOPDESK_ATTACHMENT_MAX_BYTES,
            )
        else:
            limit = shown_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if declared > limit:
            return request_too_large(request, limit=shown_limit, field="file" if is_upload else None)
        return self.get_response(request)


def request_too_large(request: HttpRequest, *, limit: int, field: str | None) -> HttpResponse:
    """Return the 413 answer: the API's JSON error format under /api/, plain text elsewhere."""
    if field == "file":
        message = _("The upload is too large; the limit is %(limit)s.") % {"limit": filesizeformat(limit)}
    else:
        message = _("The request body is too large; the limit is %(limit)s.") % {"limit": filesizeformat(limit)}
    if not request.path_info.startswith(API_PATH_PREFIX):
        return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
    body = json.dumps({"detail": message, "errors": [{"field": field, "message": message}]})
    return HttpResponse(body, status=413, content_type="application/json")


class NoStoreMiddleware:
    """Forbid caches to keep API answers and anything shown to a signed-in user.

    Ticket data and attachments must not linger in a browser's disk cache or a shared proxy;
    static files are answered by whitenoise before this middleware and stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path_info.startswith(API_PATH_PREFIX) or (user is not None and user.is_authenticated):
            patch_cache_control(response, no_store=True)
        return response


class UserTimeZoneMiddleware:
    """Show times in the signed-in user's own time zone (their profile), else the desk's.

    Only presentation changes: stored instants are UTC, the API answers with offsets, and the SLA
    clocks count in their calendars' zones whatever the reader's zone is.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = _user_zone(getattr(request, "user", None))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def _user_zone(user: object) -> ZoneInfo | None:
    name = getattr(user, "time_zone", "") if getattr(user, "is_authenticated", False) else ""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None  # a zone removed from the system's database since it was chosen
