"""The agency API's routes (included under /api/v1/ by egov.api, namespace "api")."""

from django.urls import path

from citizens.agency_api.views import AgencyPersonView, AgencyWhoAmIView

urlpatterns = [
    path("agency/whoami/", AgencyWhoAmIView.as_view(), name="agency-whoami"),
    path("agency/persons/<str:id_number>/", AgencyPersonView.as_view(), name="agency-person"),
]
