from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from egov import api, csp, views

portal_patterns = (
    [
        path("", views.home, name="home"),
        path("after-login/", views.after_login, name="after-login"),
    ],
    "portal",
)

urlpatterns = [
    path("", include(portal_patterns)),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("healthz/", include("operations.urls_metrics")),
    path("csp-report/", csp.csp_report, name="csp-report"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("allauth.urls")),
    path("", include("citizens.urls")),
    path("", include("onecounter.urls")),
    path("", include("procedures.urls")),
    path("", include("interconnect.urls")),
    path("", include("engagement.urls")),
    path("", include("engagement.urls_feedback")),
    path("statistics/", include("stats.urls")),
    path("back-office/failures/", include("operations.urls")),
    path("", include(("onecounter.results.views", "verify"))),
    path("api/v1/", include((api.urlpatterns, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler400 = "egov.views.bad_request"
handler403 = "egov.views.permission_denied"
handler404 = "egov.views.page_not_found"
handler500 = "egov.views.server_error"
