"""Facts about an HTTP request that several apps need (the client's address)."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """Return the address login failures are counted against.

    Behind the TLS proxy every request comes from the proxy's address; the client's is the last
    entry of X-Forwarded-For, the one the proxy appended (entries before it come from the client
    and can be forged).
    """
    if settings.BEHIND_TLS_PROXY:
        appended = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(appended))
        except ValueError:
            pass
    address: str | None = request.META.get("REMOTE_ADDR")
    return address
