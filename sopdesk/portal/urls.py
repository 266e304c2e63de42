from django.contrib.auth import views as auth_views
from django.urls import URLPattern, path

from sopdesk.portal import account, submit, views

app_name = "portal"

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("new/", submit.new_request, name="new_request"),
    path("new/expected-response/", submit.expected_response, name="expected_response"),
    path("new/<str:number>/", submit.submitted, name="submitted"),
    path("profile/", account.profile, name="profile"),
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
