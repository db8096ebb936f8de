"""The exports (CSV, Excel), the monthly PDF report and the weekly e-mail's
subscription page, under /statistics/ (namespace ``stats``)."""

from django.urls import URLPattern, path

from stats import export_views

urlpatterns: list[URLPattern] = [
    path("exports/<str:table>.<str:fmt>", export_views.export, name="export"),
    path(
        "reports/monthly/<str:agency_code>/<int:year>/<int:month>.pdf",
        export_views.report_monthly,
        name="report-monthly",
    ),
    path("reports/weekly/", export_views.subscription, name="subscription"),
]
