"""The API root, /api/v1/. Each app contributes its routes here."""

from urllib.parse import unquote

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse


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
            "questions": serializers.URLField(),
            "feedback": serializers.URLField(),
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
            "questions": reverse("api:questions", request=request),
            "feedback": reverse("api:feedback", request=request),
            "back_office_dossiers": unquote(
                reverse("api:backoffice-dossiers", kwargs={"code": "{code}"}, request=request)
            ),
        }
    )


# Each app contributes its routes, named by module path: the shared ground
# imports none of the apps.
urlpatterns: list[URLPattern | URLResolver] = [
    path("", api_root, name="root"),
    path("", include("citizens.api_urls")),
    path("", include("onecounter.api_urls")),
    path("", include("procedures.apis")),
    path("", include("interconnect.apis")),
    path("", include("engagement.apis")),
    path("", include("engagement.apis_feedback")),
    path("", include("engagement.apis_feedback_staff")),
    path("", include("stats.api_urls")),
    path("", include("operations.apis")),
]
