"""The statistics pages: the staff dashboard and index (``urls_dashboard``),
the exports and reports (``urls_exports``) and the public page
(``urls_public``). The API is in ``stats.api_urls``."""

from django.urls import include, path

app_name = "stats"

urlpatterns = [
    path("", include("stats.urls_dashboard")),
    path("", include("stats.urls_exports")),
    path("", include("stats.urls_public")),
]
