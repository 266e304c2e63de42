"""The acknowledgement mail links the articles that best match the new request (`help_articles`).

Registered in PortalConfig.ready() as a provider of sopdesk.tickets.mailvalues. Cost on the
creation path: no query while no article is published (a cached flag), else the search's two
(the index ranks, the readable articles load in that order).
"""

from __future__ import annotations

from collections.abc import Mapping

from sopdesk.notifications.choices import MailEvent
from sopdesk.portal.suggestions import MAIL_SUGGESTIONS, any_published_articles, article_url, suggested_articles
from sopdesk.tickets.mailvalues import MailValue
from sopdesk.tickets.models import Ticket


def help_articles_text(ticket: Ticket) -> str:
    """Return up to three matching articles its requester may read, each as its title and address on two lines."""
    if not any_published_articles():
        return ""
    hits = suggested_articles(ticket.requester, ticket.title, ticket.description, limit=MAIL_SUGGESTIONS)
    return "\n\n".join(f"{hit.article.live_version.title}\n{article_url(hit.article)}" for hit in hits)  # type: ignore[union-attr]


class HelpArticleMailValues:
    """Implements `sopdesk.tickets.mailvalues.MailValueProvider` for the acknowledgement."""

    def mail_values(self, ticket: Ticket, *, mail_event: str) -> Mapping[str, MailValue]:
        if mail_event != MailEvent.ACKNOWLEDGEMENT:
            return {}
        return {"help_articles": help_articles_text(ticket)}
