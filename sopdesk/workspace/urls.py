from django.urls import path

from sopdesk.workspace import canned_views, collaboration_views, kb_views, views, workforce_views

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
    path("kb/", kb_views.kb_list, name="kb_list"),
    path("kb/queues/<slug:queue>/", kb_views.kb_list, name="kb_queue"),
    path("kb/new/", kb_views.kb_new, name="kb_new"),
    path("kb/preview/", kb_views.kb_preview, name="kb_preview"),
    path("kb/<int:article_id>/", kb_views.kb_article, name="kb_article"),
    path("kb/<int:article_id>/edit/", kb_views.kb_edit, name="kb_edit"),
    path("kb/<int:article_id>/files/", kb_views.kb_upload, name="kb_upload"),
    path("kb/<int:article_id>/versions/", kb_views.kb_versions, name="kb_versions"),
    path("kb/<int:article_id>/versions/<int:number>/restore/", kb_views.kb_restore, name="kb_restore"),
    path("kb/<int:article_id>/steps/<slug:step>/", kb_views.kb_step, name="kb_step"),
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
    path("tickets/<str:number>/<slug:action>/", views.ticket_action, name="ticket_action"),
]
