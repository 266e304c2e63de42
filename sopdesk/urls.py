from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from sopdesk.api import api
from sopdesk.portal.urls import password_urlpatterns

admin.site.site_header = _("sopdesk administration")
admin.site.site_title = _("sopdesk")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("desk/", include("sopdesk.workspace.urls")),
    path("kb/", include("sopdesk.kb.urls")),
    path("portal/", include("sopdesk.portal.urls")),
    path("password/", include(password_urlpatterns)),
    path("", include("sopdesk.web.urls")),
]
