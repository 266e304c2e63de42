"""The REST API under /api/v1: one router per app, assembled here."""

from __future__ import annotations

from ninja import NinjaAPI

from sopdesk.accounts.api.views import router as accounts_router
from sopdesk.core.api import API_AUTH, JsonOnlyParser, install_error_handlers
from sopdesk.tickets.api.views import router as tickets_router

api = NinjaAPI(
    title="sopdesk API",
    version="1",
    description="Tickets, timelines and attachments of the sopdesk service desk.",
    auth=API_AUTH,
    urls_namespace="api",
    parser=JsonOnlyParser(),
)
install_error_handlers(api)
api.add_router("/", accounts_router)
api.add_router("/tickets", tickets_router)
api.add_router("/notifications", "sopdesk.notifications.api.views.router")
api.add_router("/sla", "sopdesk.sla.api.views.router")
