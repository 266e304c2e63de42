from django.urls import path

from sopdesk.workspace import outbox_views

urlpatterns = [
    path("", outbox_views.outbox, name="outbox"),
    path("retry/", outbox_views.outbox_retry, name="outbox_retry"),
]
