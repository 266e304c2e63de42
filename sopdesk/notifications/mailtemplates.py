"""The requester mails' texts: the admin-edited templates, per mail and language, kept per process."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import pgettext

from sopdesk.core.config_cache import StampedCache
from sopdesk.notifications.models import MailTemplate
from sopdesk.notifications.templating import render_text


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    body: str


def _load() -> dict[tuple[str, str], tuple[str, str]]:
    return {
        (row.event, row.language): (row.subject, row.body)
        for row in MailTemplate.objects.only("event", "language", "subject", "body")
    }


_templates = StampedCache(_load)


def request_url(number: str) -> str:
    """Return the absolute address of the portal's page for request `number`."""
    # The path comes from the URLconf, the one place that names it.
    return settings.SOPDESK_BASE_URL.rstrip("/") + reverse("portal:request", args=[number])


def format_mail_time(value: datetime) -> str:
    """Return `value` in the active time zone as the active language writes it.

    "7 Dec 2026, 14:00" in English, "2026年12月7日 14:00" in Chinese.
    """
    # Django's English DATETIME_FORMAT is the 12-hour "Dec. 7, 2026, 2 p.m.": a mail states one
    # 24-hour style per language, so the format string is part of the translation (zh: "Y年n月j日 H:i").
    return formats.date_format(timezone.localtime(value), pgettext("date and time format in mails", "j M Y, H:i"))


class MailTemplates:
    """The templates as they were when read: render many mails with one look at the configuration stamp."""

    def __init__(self, templates: Mapping[tuple[str, str], tuple[str, str]]) -> None:
        self._templates = templates

    def render(self, event: str, *, language: str, values: Mapping[str, str]) -> RenderedMail | None:
        """Render mail `event` in `language` (else the desk's default); None when neither has a template."""
        found = self._templates.get((event, language)) or self._templates.get((event, settings.LANGUAGE_CODE))
        if found is None:
            return None
        subject, body = found
        return RenderedMail(subject=render_text(subject, values), body=render_text(body, values))


def mail_templates() -> MailTemplates:
    """Return the current templates (one stamp query when unchanged since the last load)."""
    return MailTemplates(_templates.get())


def render_mail(event: str, *, language: str, values: Mapping[str, str]) -> RenderedMail | None:
    """Render mail `event` in `language` (else the desk's default language); None when neither has a template."""
    return mail_templates().render(event, language=language, values=values)
