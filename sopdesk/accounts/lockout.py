"""What a locked-out login attempt gets back (django-axes calls this after the view ran)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """Keep the view's own answer with status 429 instead of axes' bare text page.

    The API token endpoint already answers a JSON 429 naming the field, and the login page
    already shows its error; replacing either would break the API's error format or the page.
    """
    if original_response is None:
        return HttpResponse(_("Too many failed logins. Try again later."), status=429, content_type="text/plain")
    original_response.status_code = 429
    return original_response
