"""The one-stop's routes under /api/v1/ (included by ``egov.api``)."""

from onecounter.intake import apis as intake_apis
from onecounter.payments import apis as payments_apis
from onecounter.processing import apis as processing_apis
from onecounter.results import views as results_views
from onecounter.retention import apis as retention_apis
from onecounter.tracking import views as tracking_views
from onecounter.wallet import apis as wallet_apis

urlpatterns = [
    *tracking_views.api_urlpatterns,
    *results_views.api_urlpatterns,
    *processing_apis.urlpatterns,
    *payments_apis.urlpatterns,
    *intake_apis.urlpatterns,
    *wallet_apis.urlpatterns,
    *retention_apis.urlpatterns,
]
