"""Workspace URLs of the mail pages (included under /desk/mail/ in the workspace namespace)."""

from django.urls import path

from sopdesk.workspace import mail_views

urlpatterns = [
    path("quarantine/", mail_views.quarantine, name="mail_quarantine"),
    path("<int:mail_id>/", mail_views.original_mail, name="mail_original"),
    path("<int:mail_id>/html/", mail_views.original_mail_html, name="mail_html"),
    path("<int:mail_id>/raw/", mail_views.mail_raw, name="mail_raw"),
    path("<int:mail_id>/attachments/<int:index>/", mail_views.mail_attachment, name="mail_attachment"),
    path("<int:mail_id>/reprocess/", mail_views.quarantine_reprocess, name="mail_reprocess"),
]
