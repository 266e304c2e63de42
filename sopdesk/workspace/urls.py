from django.urls import path

from sopdesk.workspace import canned_views, collaboration_views, knowledge_views, views, workforce_views

app_name = "workspace"

urlpatterns = [
    path("", views.queue, name="queue_default"),
    path("queues/counts/", views.queue_counts_fragment, name="queue_counts"),
    path("queues/<slug:slug>/", views.queue, name="queue"),
    path("views/", views.save_view, name="save_view"),
    path("views/<int:view_id>/remove/", views.retire_view, name="retire_view"),
    path("bulk/", views.bulk, name="bulk"),
    path("canned/", canned_views.canned_list, name="canned_list"),
    path("canned/new/", canned_views.canned_new, name="canned_new"),
    path("canned/preview/", canned_views.canned_preview, name="canned_preview"),
    path("canned/<int:response_id>/edit/", canned_views.canned_edit, name="canned_edit"),
    path(
        "canned/<int:response_id>/deactivate/",
        canned_views.canned_set_active,
        {"is_active": False},
        name="canned_deactivate",
    ),
    path(
        "canned/<int:response_id>/activate/",
        canned_views.canned_set_active,
        {"is_active": True},
        name="canned_activate",
    ),
    path("collaboration/", collaboration_views.inbox_default, name="collaboration_inbox_default"),
    path("collaboration/<slug:code>/", collaboration_views.inbox, name="collaboration_inbox"),
    path(
        "collaboration/requests/<int:request_id>/<slug:step>/",
        collaboration_views.step,
        name="collaboration_step",
    ),
    path("presence/", workforce_views.presence, name="presence"),
    path("teams/", workforce_views.team_board, name="team_board_default"),
    path("teams/<slug:code>/", workforce_views.team_board, name="team_board"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read-all/", views.notification_read_all, name="notifications_read_all"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="notification_open"),
    path("tickets/<str:number>/", views.ticket_page, name="ticket"),
    path("tickets/<str:number>/edit/", views.ticket_edit, name="ticket_edit"),
    path("tickets/<str:number>/attachments/<int:attachment_id>/", views.ticket_attachment, name="ticket_attachment"),
    path("tickets/<str:number>/similar/", views.ticket_similar, name="ticket_similar"),
    path("tickets/<str:number>/updates/", views.ticket_updates, name="ticket_updates"),
    path("tickets/<str:number>/knowledge/", knowledge_views.ticket_knowledge, name="ticket_knowledge"),
    path("tickets/<str:number>/knowledge/draft/", knowledge_views.ticket_article_draft, name="ticket_article_draft"),
    path(
        "tickets/<str:number>/knowledge/<int:article_id>/link/",
        knowledge_views.ticket_article_link,
        {"linked": True},
        name="ticket_article_link",
    ),
    path(
        "tickets/<str:number>/knowledge/<int:article_id>/unlink/",
        knowledge_views.ticket_article_link,
        {"linked": False},
        name="ticket_article_unlink",
    ),
    path("tickets/<str:number>/<slug:action>/", views.ticket_action, name="ticket_action"),
]
