from django.contrib.auth import views as auth_views
from django.urls import URLPattern, path

from sopdesk.portal import account, help_centre, requests, submit

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
    path("new/", submit.new_request, name="new_request"),
    path("new/expected-response/", submit.expected_response, name="expected_response"),
    path("new/suggestions/", submit.article_suggestions, name="article_suggestions"),
    path("new/<str:number>/", submit.submitted, name="submitted"),
    path("profile/", account.profile, name="profile"),
    path("help/", help_centre.help_home, name="help"),
    path("help/categories/<slug:code>/", help_centre.help_category, name="help_category"),
    path("help/articles/<int:article_id>/", help_centre.help_article, name="help_article"),
    path("help/search/", help_centre.help_search, name="help_search"),
    path("help/articles/<int:article_id>/feedback/", help_centre.help_feedback, name="help_feedback"),
]

# Forgot password: Django's views with the portal's templates, mounted at /password/ without a namespace
# (the views find each other by these names).
password_urlpatterns: list[URLPattern] = [
    path("reset/", account.PasswordResetView.as_view(), name="password_reset"),
    path(
        "reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="portal/account_password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(template_name="portal/account_password_reset_confirm.html"),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="portal/account_password_reset_complete.html"),
        name="password_reset_complete",
    ),
]
