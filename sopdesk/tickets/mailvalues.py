"""Values of the requester mails that apps above tickets supply, without the ticket app knowing them.

The acknowledgement tells the expected response and resolution times and the service hours, which
the SLA clocks know; tickets must not import sla (docs/architecture.md). So, as with the ticket
observers (observers.py), sla registers a provider in its `AppConfig.ready()` and
`tickets.notifications` asks every registered provider when it renders a requester mail.

A provider runs in the recipient's language and time zone (both overridden around the call), inside
the transaction of the change that sends the mail; it returns plain strings, or datetimes that
`tickets.notifications` formats for the recipient. Providers are on the ticket-creation path: each
should cost at most one query, none when what it needs is already loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sopdesk.tickets.models import Ticket

MailValue = str | datetime


class MailValueProvider(Protocol):
    """What a supplier of mail variables is asked; names must be listed in notifications.templating.VARIABLES."""

    def mail_values(self, ticket: Ticket, *, mail_event: str) -> Mapping[str, MailValue]:
        """Return the variables this provider adds to mail `mail_event` about `ticket` (empty when none)."""
        ...


class _Providers:
    """The registered providers, asked in registration order (a later one wins a name both give)."""

    def __init__(self) -> None:
        self._providers: list[MailValueProvider] = []

    def register(self, provider: MailValueProvider) -> None:
        if any(type(existing) is type(provider) for existing in self._providers):
            return  # ready() can run twice in some test set-ups; one instance per class
        self._providers.append(provider)

    def registered(self) -> tuple[MailValueProvider, ...]:
        return tuple(self._providers)

    def values(self, ticket: Ticket, *, mail_event: str) -> dict[str, MailValue]:
        result: dict[str, MailValue] = {}
        for provider in self._providers:
            result.update(provider.mail_values(ticket, mail_event=mail_event))
        return result


providers = _Providers()
"""The one place where the requester mails' extra variables come from."""


def register_mail_values(provider: MailValueProvider) -> None:
    """Have `provider` supply variables of the requester mails (call from an AppConfig.ready())."""
    providers.register(provider)
