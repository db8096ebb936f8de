"""The population app's routes under /api/v1/ (included by ``egov.api``):
the citizen's own record and the agencies' lookups."""

from citizens import agency_api, apis

urlpatterns = [
    *apis.urlpatterns,
    *agency_api.urlpatterns,
]
