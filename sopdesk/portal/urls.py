from django.urls import URLPattern, path

from sopdesk.portal import requests

app_name = "portal"

urlpatterns: list[URLPattern] = [
    path("", requests.request_list, name="home"),
    path("requests/<str:number>/", requests.request_page, name="request"),
    path("requests/<str:number>/reply/", requests.request_reply, name="request_reply"),
    path("requests/<str:number>/resolution/", requests.request_resolution, name="request_resolution"),
    path(
        "requests/<str:number>/attachments/<int:attachment_id>/",
        requests.request_attachment,
        name="request_attachment",
    ),
    path(
        "requests/<str:number>/authorizations/<int:authorization_id>/<slug:decision>/",
        requests.authorization_decision,
        name="authorization_decision",
    ),
    path("requests/<str:number>/plans/<int:plan_id>/<slug:decision>/", requests.plan_decision, name="plan_decision"),
]
