"""Failed-login lockout (django-axes): what a locked-out attempt gets back, and a limit per kind of lockout.

Three lockouts run side by side (AXES_LOCKOUT_PARAMETERS): one username from one address (typos,
plain guessing), one address trying many usernames (password spraying) and one username tried from
many addresses (distributed guessing). axes compares the largest failure count of the three to one
AXES_FAILURE_LIMIT; spraying and distributed guessing need higher limits than a single user's typos,
so the handler below scales each count to its own limit before that comparison.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
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


def failure_limit_of(parameter: str | list[str]) -> int:
    """Return the failures one lockout parameter (or combination) allows within the cool-off time."""
    if parameter == "ip_address":
        return int(settings.SOPDESK_LOGIN_ADDRESS_FAILURE_LIMIT)
    if parameter == "username":
        return int(settings.SOPDESK_LOGIN_USERNAME_FAILURE_LIMIT)
    return int(settings.AXES_FAILURE_LIMIT)


class PerParameterLimitHandler(AxesDatabaseHandler):
    """axes' database handler with a failure limit per lockout parameter."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """Return the failures scaled so each parameter reaches AXES_FAILURE_LIMIT exactly at its own limit."""
        base = int(settings.AXES_FAILURE_LIMIT)
        parameters = get_lockout_parameters(request, credentials)
        worst = 0
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials), strict=True):
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            worst = max(worst, failures * base // failure_limit_of(parameter))
        return worst

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """Forget the failures of this username from this address after a successful login.

        axes would reset every parameter: a sprayer who also owns one valid account could then wipe
        the address's count by logging in between rounds.
        """
        username = get_client_username(request, credentials)
        address = request.axes_ip_address  # type: ignore[attr-defined]
        deleted: int = AccessAttempt.objects.filter(username=username, ip_address=address).delete()[0]
        return deleted
