"""The API root, /api/v1/. Each app contributes its routes here."""

from urllib.parse import unquote

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from citizens import agency_api
from citizens import apis as citizens_apis
from interconnect import apis as interconnect_apis
from onecounter import apis as onecounter_apis
from onecounter import apis_citizen as onecounter_citizen_apis
from onecounter import views_filing as onecounter_filing
from onecounter import views_public as onecounter_public
from onecounter import views_verify as onecounter_verify
from onecounter.payments import apis as payments_apis
from procedures import apis as procedures_apis


@extend_schema(
    summary="API root: links to the resources of version 1",
    tags=["meta"],
    responses=inline_serializer(
        "ApiRoot",
        {
            "version": serializers.CharField(),
            "schema": serializers.URLField(),
            "docs": serializers.URLField(),
            "administrative_units": serializers.URLField(),
            "me": serializers.URLField(),
            "agency_whoami": serializers.URLField(),
            "tracking": serializers.URLField(),
            "procedures": serializers.URLField(),
            "back_office_dossiers": serializers.CharField(
                help_text="URI template: the dossiers of the agency {code} (staff)"
            ),
        },
    ),
)
@api_view(["GET"])
@permission_classes([permissions.AllowAny])
def api_root(request: Request, format=None) -> Response:
    return Response(
        {
            "version": "1",
            "schema": reverse("api-schema", request=request),
            "docs": reverse("api-docs", request=request),
            "administrative_units": reverse("api:administrative-units", request=request),
            "me": reverse("api:me", request=request),
            "agency_whoami": reverse("api:agency-whoami", request=request),
            "tracking": reverse("api:tracking", request=request),
            "procedures": reverse("api:procedures", request=request),
            "back_office_dossiers": unquote(
                reverse("api:backoffice-dossiers", kwargs={"code": "{code}"}, request=request)
            ),
        }
    )


urlpatterns = [
    path("", api_root, name="root"),
    *citizens_apis.urlpatterns,
    *agency_api.urlpatterns,
    *onecounter_public.api_urlpatterns,
    *onecounter_verify.api_urlpatterns,
    *onecounter_apis.urlpatterns,
    *procedures_apis.urlpatterns,
    *payments_apis.urlpatterns,
    *onecounter_filing.api_urlpatterns,
    *onecounter_citizen_apis.urlpatterns,
    *interconnect_apis.urlpatterns,
]
