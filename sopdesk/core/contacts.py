"""The desk's other ways to be reached (phone, e-mail), from the settings: one source for pages and mails."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class ContactWay:
    label: str
    value: str
    href: str


def contact_ways() -> list[ContactWay]:
    """Return the desk's phone and e-mail from the settings (SOPDESK_SUPPORT_PHONE / _EMAIL), when set."""
    ways = []
    if settings.SOPDESK_SUPPORT_PHONE:
        phone = settings.SOPDESK_SUPPORT_PHONE
        ways.append(ContactWay(_("Phone"), phone, "tel:" + "".join(c for c in phone if c.isdigit() or c == "+")))
    if settings.SOPDESK_SUPPORT_EMAIL:
        ways.append(ContactWay(_("E-mail"), settings.SOPDESK_SUPPORT_EMAIL, "mailto:" + settings.SOPDESK_SUPPORT_EMAIL))
    return ways
