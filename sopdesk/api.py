"""The REST API under /api/v1: one router per app, assembled here, and the names of its operations."""

from __future__ import annotations

from sopdesk.accounts.api.auth import API_AUTH
from sopdesk.accounts.api.views import router as accounts_router
from sopdesk.core.api import DocumentedAPI, JsonOnlyParser, OperationName, install_error_handlers
from sopdesk.tickets.api.views import router as tickets_router

# Every route's tag and operation id, `<resource>_<verb>`. Generated clients name their functions
# after these ids, so changing one breaks API users' code: add new routes, do not rename old ones.
OPERATIONS: dict[str, OperationName] = {
    "POST /auth/token": OperationName("auth", "auth_token_create"),
    "POST /auth/token/revoke": OperationName("auth", "auth_token_revoke"),
    "GET /me": OperationName("me", "me_get"),
    "GET /tickets": OperationName("tickets", "tickets_list"),
    "POST /tickets": OperationName("tickets", "tickets_create"),
    "GET /tickets/{number}": OperationName("tickets", "tickets_get"),
    "PATCH /tickets/{number}": OperationName("tickets", "tickets_update"),
    "POST /tickets/{number}/transitions": OperationName("tickets", "tickets_transition"),
    "POST /tickets/{number}/assign": OperationName("tickets", "tickets_assign"),
    "POST /tickets/{number}/comments": OperationName("tickets", "tickets_comment_create"),
    "GET /tickets/{number}/events": OperationName("tickets", "tickets_event_list"),
    "GET /tickets/{number}/attachments": OperationName("tickets", "tickets_attachment_list"),
    "POST /tickets/{number}/attachments": OperationName("tickets", "tickets_attachment_create"),
    "GET /tickets/{number}/attachments/{attachment_id}": OperationName("tickets", "tickets_attachment_download"),
    "GET /tickets/{number}/diagnosis-steps": OperationName("casework", "casework_diagnosis_step_list"),
    "POST /tickets/{number}/diagnosis-steps": OperationName("casework", "casework_diagnosis_step_create"),
    "GET /tickets/{number}/remote-assistance": OperationName("casework", "casework_remote_assistance_list"),
    "POST /tickets/{number}/remote-assistance": OperationName("casework", "casework_remote_assistance_request"),
    "POST /tickets/{number}/remote-assistance/{record_id}/grant": OperationName(
        "casework", "casework_remote_assistance_grant"
    ),
    "POST /tickets/{number}/remote-assistance/{record_id}/refuse": OperationName(
        "casework", "casework_remote_assistance_refuse"
    ),
    "POST /tickets/{number}/remote-assistance/{record_id}/revoke": OperationName(
        "casework", "casework_remote_assistance_revoke"
    ),
    "GET /tickets/{number}/plans": OperationName("casework", "casework_plan_list"),
    "POST /tickets/{number}/plans": OperationName("casework", "casework_plan_propose"),
    "GET /tickets/{number}/plans/off-peak": OperationName("casework", "casework_plan_off_peak_hint"),
    "POST /tickets/{number}/plans/{record_id}/confirm": OperationName("casework", "casework_plan_confirm"),
    "POST /tickets/{number}/plans/{record_id}/reject": OperationName("casework", "casework_plan_reject"),
    "GET /tickets/{number}/verifications": OperationName("casework", "casework_verification_list"),
    "POST /tickets/{number}/verifications": OperationName("casework", "casework_verification_create"),
    "GET /canned-responses": OperationName("canned_responses", "canned_responses_list"),
    "POST /canned-responses": OperationName("canned_responses", "canned_responses_create"),
    "GET /canned-responses/{response_id}": OperationName("canned_responses", "canned_responses_get"),
    "PATCH /canned-responses/{response_id}": OperationName("canned_responses", "canned_responses_update"),
    "POST /canned-responses/{response_id}/deactivate": OperationName("canned_responses", "canned_responses_deactivate"),
    "POST /canned-responses/{response_id}/activate": OperationName("canned_responses", "canned_responses_activate"),
    "GET /notifications": OperationName("notifications", "notifications_list"),
    "POST /notifications/{notification_id}/read": OperationName("notifications", "notifications_read"),
    "POST /notifications/read-all": OperationName("notifications", "notifications_read_all"),
    "GET /tickets/{number}/overdue-reasons": OperationName("sla_overdue_reasons", "sla_overdue_reasons_list"),
    "POST /tickets/{number}/overdue-reasons": OperationName("sla_overdue_reasons", "sla_overdue_reasons_create"),
    "GET /sla/calendars": OperationName("sla_calendars", "sla_calendars_list"),
    "POST /sla/calendars": OperationName("sla_calendars", "sla_calendars_create"),
    "GET /sla/calendars/{code}": OperationName("sla_calendars", "sla_calendars_get"),
    "PATCH /sla/calendars/{code}": OperationName("sla_calendars", "sla_calendars_update"),
    "GET /sla/calendars/{code}/dates": OperationName("sla_calendars", "sla_calendars_date_list"),
    "PUT /sla/calendars/{code}/dates/{date}": OperationName("sla_calendars", "sla_calendars_date_set"),
    "DELETE /sla/calendars/{code}/dates/{date}": OperationName("sla_calendars", "sla_calendars_date_delete"),
    "GET /sla/policies": OperationName("sla_policies", "sla_policies_list"),
    "POST /sla/policies": OperationName("sla_policies", "sla_policies_create"),
    "GET /sla/policies/{policy_id}": OperationName("sla_policies", "sla_policies_get"),
    "PATCH /sla/policies/{policy_id}": OperationName("sla_policies", "sla_policies_update"),
    "GET /sla/breaches": OperationName("sla_breaches", "sla_breaches_list"),
    "GET /audit/config-changes": OperationName("audit", "audit_config_changes_list"),
    "GET /tickets/{number}/collaboration-requests": OperationName(
        "collaboration", "collaboration_ticket_requests_list"
    ),
    "POST /tickets/{number}/collaboration-requests": OperationName("collaboration", "collaboration_requests_create"),
    "GET /collaboration/requests": OperationName("collaboration", "collaboration_requests_list"),
    "GET /collaboration/requests/{request_id}": OperationName("collaboration", "collaboration_requests_get"),
    "POST /collaboration/requests/{request_id}/accept": OperationName("collaboration", "collaboration_requests_accept"),
    "POST /collaboration/requests/{request_id}/reject": OperationName("collaboration", "collaboration_requests_reject"),
    "POST /collaboration/requests/{request_id}/progress": OperationName(
        "collaboration", "collaboration_requests_progress"
    ),
    "POST /collaboration/requests/{request_id}/deliver": OperationName(
        "collaboration", "collaboration_requests_deliver"
    ),
    "POST /collaboration/requests/{request_id}/confirm": OperationName(
        "collaboration", "collaboration_requests_confirm"
    ),
    "POST /collaboration/requests/{request_id}/return": OperationName("collaboration", "collaboration_requests_return"),
    "POST /collaboration/requests/{request_id}/withdraw": OperationName(
        "collaboration", "collaboration_requests_withdraw"
    ),
    "GET /collaboration/stats": OperationName("collaboration", "collaboration_stats_get"),
    "GET /collaboration/teams/{code}/settings": OperationName("collaboration", "collaboration_team_settings_get"),
    "PUT /collaboration/teams/{code}/settings": OperationName("collaboration", "collaboration_team_settings_set"),
    "POST /workforce/presence": OperationName("workforce", "workforce_presence_set"),
    "GET /workforce/agents/{username}": OperationName("workforce", "workforce_agent_get"),
    "PUT /workforce/agents/{username}/profile": OperationName("workforce", "workforce_agent_profile_set"),
    "PUT /workforce/agents/{username}/skills/{category}": OperationName("workforce", "workforce_skill_set"),
    "DELETE /workforce/agents/{username}/skills/{category}": OperationName("workforce", "workforce_skill_delete"),
    "POST /workforce/agents/{username}/absences": OperationName("workforce", "workforce_absence_create"),
    "DELETE /workforce/absences/{absence_id}": OperationName("workforce", "workforce_absence_delete"),
    "POST /workforce/agents/{username}/certifications": OperationName("workforce", "workforce_certification_create"),
    "DELETE /workforce/certifications/{certification_id}": OperationName("workforce", "workforce_certification_delete"),
    "GET /workforce/teams/{code}": OperationName("workforce", "workforce_team_get"),
    "PUT /workforce/teams/{code}/assignment": OperationName("workforce", "workforce_team_assignment_set"),
    "GET /workforce/teams/{code}/qualifying": OperationName("workforce", "workforce_team_qualifying_list"),
    "GET /routing/rules": OperationName("routing_rules", "routing_rules_list"),
    "POST /routing/rules": OperationName("routing_rules", "routing_rules_create"),
    "GET /routing/rules/{rule_id}": OperationName("routing_rules", "routing_rules_get"),
    "PATCH /routing/rules/{rule_id}": OperationName("routing_rules", "routing_rules_update"),
    "DELETE /routing/rules/{rule_id}": OperationName("routing_rules", "routing_rules_delete"),
    "GET /routing/specialists": OperationName("routing_specialists", "routing_specialists_list"),
    "PUT /routing/specialists/{category}": OperationName("routing_specialists", "routing_specialists_set"),
    "DELETE /routing/specialists/{category}": OperationName("routing_specialists", "routing_specialists_delete"),
    "POST /tickets/{number}/escalations": OperationName("routing_escalation", "routing_escalation_create"),
    "GET /kb/categories": OperationName("kb_categories", "kb_categories_list"),
    "POST /kb/categories": OperationName("kb_categories", "kb_categories_create"),
    "PATCH /kb/categories/{code}": OperationName("kb_categories", "kb_categories_update"),
    "GET /kb/articles": OperationName("kb_articles", "kb_articles_list"),
    "POST /kb/articles": OperationName("kb_articles", "kb_articles_create"),
    "GET /kb/articles/{article_id}": OperationName("kb_articles", "kb_articles_get"),
    "PATCH /kb/articles/{article_id}": OperationName("kb_articles", "kb_articles_update"),
    "POST /kb/articles/{article_id}/transitions": OperationName("kb_articles", "kb_articles_transition"),
    "GET /kb/articles/{article_id}/reviews": OperationName("kb_articles", "kb_articles_review_list"),
    "POST /kb/articles/{article_id}/comments": OperationName("kb_articles", "kb_articles_comment_create"),
    "GET /kb/articles/{article_id}/versions": OperationName("kb_articles", "kb_articles_version_list"),
    "GET /kb/articles/{article_id}/versions/{number}": OperationName("kb_articles", "kb_articles_version_get"),
    "POST /kb/articles/{article_id}/versions/{number}/restore": OperationName(
        "kb_articles", "kb_articles_version_restore"
    ),
    "GET /kb/articles/{article_id}/diff": OperationName("kb_articles", "kb_articles_diff"),
    "GET /kb/articles/{article_id}/attachments": OperationName("kb_articles", "kb_articles_attachment_list"),
    "POST /kb/articles/{article_id}/attachments": OperationName("kb_articles", "kb_articles_attachment_create"),
    "POST /kb/articles/{article_id}/feedback": OperationName("kb_articles", "kb_articles_feedback_create"),
    "GET /kb/articles/{article_id}/feedback": OperationName("kb_articles", "kb_articles_feedback_list"),
    "GET /kb/articles/{article_id}/tickets": OperationName("kb_articles", "kb_articles_ticket_list"),
    "PUT /kb/articles/{article_id}/tickets/{number}": OperationName("kb_articles", "kb_articles_ticket_link"),
    "DELETE /kb/articles/{article_id}/tickets/{number}": OperationName("kb_articles", "kb_articles_ticket_unlink"),
    "POST /tickets/{number}/kb-article": OperationName("kb_articles", "kb_articles_from_ticket"),
    "GET /search/tickets": OperationName("search", "search_tickets"),
    "GET /search/articles": OperationName("search", "search_articles"),
    "GET /outbox": OperationName("outbox", "outbox_list"),
    "POST /outbox/retry": OperationName("outbox", "outbox_retry"),
    "POST /outbox/{message_id}/retry": OperationName("outbox", "outbox_message_retry"),
    "GET /tickets/{number}/calls": OperationName("calls", "calls_ticket_list"),
    "POST /tickets/{number}/calls": OperationName("calls", "calls_ticket_create"),
    "POST /calls": OperationName("calls", "calls_create"),
    "GET /calls/answer-kpi": OperationName("calls", "calls_answer_kpi_get"),
    "POST /alerts/{source_id}": OperationName("alerts", "alerts_receive"),
    "GET /mail/inbound": OperationName("mail", "mail_inbound_list"),
    "GET /mail/inbound/{mail_id}": OperationName("mail", "mail_inbound_get"),
    "POST /mail/inbound/{mail_id}/reprocess": OperationName("mail", "mail_inbound_reprocess"),
    "POST /mail/mailboxes/{mailbox_id}/messages": OperationName("mail", "mail_message_upload"),
}

TAG_DESCRIPTIONS = {
    "auth": "API tokens: issue one with a username and password, revoke the one in use.",
    "me": "The authenticated caller.",
    "tickets": "Tickets with their lifecycle, assignment, comments, timeline and attachments.",
    "casework": "A ticket's structured records: diagnosis steps, remote-assistance authorisations, "
    "solution plans and verification results.",
    "canned_responses": "Standard phrases with variables: personal ones and those a team's leads manage.",
    "notifications": "The caller's in-app notifications.",
    "sla_calendars": "Business-time calendars with their holidays and make-up working days.",
    "sla_policies": "SLA targets by priority, customer level, category and channel, with escalation rules.",
    "sla_breaches": "A team's open tickets whose SLA clocks are in warning or breached.",
    "sla_overdue_reasons": "Why a ticket's SLA clock ran over its target (the SOP asks every overdue ticket to say).",
    "collaboration": "Collaboration requests from a ticket to another team (协作申请): acceptance clock, "
    "progress, delivery, confirmation; completion and acceptance figures per team.",
    "audit": "The configuration audit log: who changed which setting when, before and after (admins, auditors).",
    "workforce": "Agents' presence, capacity, working calendar, skills, absences and certifications; each "
    "team's assignment strategy, backup group and board; who qualifies for a new ticket.",
    "routing_rules": "Ordered rules that choose a new ticket's team by category, type, channel, customer level, "
    "priority, difficulty and keywords (administrators change, managers read).",
    "routing_specialists": "Each category's specialist team, which takes its tickets of difficulty 2 and above.",
    "routing_escalation": "Tiered escalation of a ticket to a team of the next tier, with a reason.",
    "kb_articles": "Knowledge-base articles: drafts, review and approval by knowledge-base admins, published "
    "versions with diffs and restore, readers' feedback, tickets solved with an article.",
    "kb_categories": "The knowledge-base category tree (knowledge-base admins change it; audited).",
    "outbox": "Outgoing e-mail, chat-robot and webhook messages with their delivery state; dead letters and "
    "retry (administrators).",
    "calls": "Phone calls logged by agents on tickets (or opening a new phone ticket), and the "
    '"answered within 30 s" figure.',
    "alerts": "Monitoring alerts (Prometheus Alertmanager, Zabbix, generic JSON) posted by a configured alert "
    "source with its own bearer token; they open, note and resolve incident tickets.",
    "search": "Full-text search in Chinese and English, ranked, with highlighted snippets, under the same "
    "visibility as the lists.",
    "mail": "Inbound e-mail (administrators): received messages with their state, the quarantine and its "
    "re-processing, and the upload of raw .eml files into a mailbox.",
}

api = DocumentedAPI(
    title="sopdesk API",
    version="1",
    description="Tickets, timelines and attachments of the sopdesk service desk.",
    auth=API_AUTH,
    urls_namespace="api",
    operations=OPERATIONS,
    tag_descriptions=TAG_DESCRIPTIONS,
    parser=JsonOnlyParser(),
)
install_error_handlers(api)
api.add_router("/", accounts_router)
api.add_router("/tickets", tickets_router)
api.add_router("/tickets", "sopdesk.casework.api.views.tickets_router")
api.add_router("/canned-responses", "sopdesk.casework.api.views.canned_router")
api.add_router("/notifications", "sopdesk.notifications.api.views.router")
api.add_router("/sla", "sopdesk.sla.api.views.router")
api.add_router("/tickets", "sopdesk.sla.api.views.tickets_router")
api.add_router("/audit", "sopdesk.audit.api.views.router")
api.add_router("/tickets", "sopdesk.collaboration.api.views.tickets_router")
api.add_router("/collaboration", "sopdesk.collaboration.api.views.router")
api.add_router("/workforce", "sopdesk.workforce.api.views.router")
api.add_router("/routing", "sopdesk.routing.api.views.router")
api.add_router("/routing", "sopdesk.routing.api.views.specialists_router")
api.add_router("/tickets", "sopdesk.routing.api.views.tickets_router")
api.add_router("/kb", "sopdesk.kb.api.views.router")
api.add_router("/kb", "sopdesk.kb.api.views.categories_router")
api.add_router("/tickets", "sopdesk.kb.api.views.tickets_router")
api.add_router("/search", "sopdesk.search.api.views.router")
api.add_router("/outbox", "sopdesk.integrations.api.views.router")
api.add_router("/tickets", "sopdesk.calls.api.views.tickets_router")
api.add_router("/calls", "sopdesk.calls.api.views.router")
api.add_router("/alerts", "sopdesk.alerts.api.views.router")
api.add_router("/mail", "sopdesk.mail.api.views.router")
