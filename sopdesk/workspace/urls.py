from django.urls import path

from sopdesk.workspace import views

app_name = "workspace"

urlpatterns = [
    path("", views.queue, name="queue_default"),
    path("queues/counts/", views.queue_counts_fragment, name="queue_counts"),
    path("queues/<slug:slug>/", views.queue, name="queue"),
    path("bulk/", views.bulk, name="bulk"),
    path("tickets/<str:number>/", views.ticket_page, name="ticket"),
    path("tickets/<str:number>/updates/", views.ticket_updates, name="ticket_updates"),
    path("tickets/<str:number>/<slug:action>/", views.ticket_action, name="ticket_action"),
]
