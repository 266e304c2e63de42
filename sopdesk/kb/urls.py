from django.urls import path

from sopdesk.kb import views

app_name = "kb"

urlpatterns = [
    path("files/<int:attachment_id>/<str:name>", views.article_file, name="file"),
]
