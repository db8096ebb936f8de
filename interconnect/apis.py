"""Staff API for handoffs (mounted under /api/v1/back-office/handoffs/).

Administrators (superusers) see every handoff; the head of an agency those
its own dossiers sent; anyone else gets 403 ``forbidden``.

    GET  back-office/handoffs/                  the list (filters: status, target, late, q)
    GET  back-office/handoffs/<uuid>/           one handoff with its payload and messages
    POST back-office/handoffs/<uuid>/retry/     a failed handoff back to pending, delivered again

Errors have the shape ``{"code", "message", "data"}``: 403 ``forbidden``, 404
``not_found`` (a handoff the user may not see answers the same), 409
``not_failed`` (only a failed handoff can be retried), 400 ``invalid``.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.errors import ErrorSerializer, NotFoundError, PermissionDeniedError, ValidationFailed
from interconnect import selectors, services
from interconnect.forms import HandoffFilterForm
from interconnect.models import Handoff, HandoffMessage
from onecounter.processing.apis import STAFF_AUTHENTICATION

TAGS = ["back office: handoffs"]


def _check(request: Request) -> None:
    if not selectors.may_view_handoffs(request.user):
        raise PermissionDeniedError()


# --- Serializers ---------------------------------------------------------------------------


@extend_schema_field(
    {
        "allOf": [{"type": "string", "enum": list(Handoff.Status.values)}],
        "description": "pending, delivered (being processed), completed, refused, failed.",
    }
)
class HandoffStatusField(serializers.CharField):
    pass


@extend_schema_field(
    {
        "allOf": [{"type": "string", "enum": list(Handoff.Target.values)}],
        "description": "Who it is handed on to.",
    }
)
class HandoffTargetField(serializers.CharField):
    pass


class AgencyRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class DossierRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    code = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    due_date = serializers.DateField(allow_null=True)


class HandoffSerializer(serializers.ModelSerializer):
    status = HandoffStatusField(read_only=True)
    target = HandoffTargetField(read_only=True)
    dossier = serializers.CharField(source="dossier.code", help_text="The sending dossier's code.")
    sending_agency = AgencyRefSerializer(source="dossier.agency")
    agency = AgencyRefSerializer(allow_null=True, help_text="The receiving agency, if here.")
    agency_dossier = DossierRefSerializer(
        allow_null=True, help_text="The dossier in the receiving agency's queue."
    )
    late = serializers.BooleanField(source="is_late")

    class Meta:
        model = Handoff
        fields = [
            "id",
            "key",
            "dossier",
            "sending_agency",
            "target",
            "agency",
            "status",
            "agency_dossier",
            "external_reference",
            "budget_days",
            "due_date",
            "late",
            "created_at",
            "delivered_at",
            "finished_at",
            "attempts",
            "next_attempt_at",
            "last_error",
            "outcome_note",
        ]


class HandoffMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = HandoffMessage
        fields = [
            "id",
            "direction",
            "kind",
            "dossier_ref",
            "request_sha256",
            "response_status",
            "response",
            "error",
            "started_at",
            "finished_at",
        ]


class HandoffDetailSerializer(HandoffSerializer):
    payload = serializers.JSONField(help_text="What is handed on: only what the receiver needs.")
    messages = HandoffMessageSerializer(many=True)

    class Meta(HandoffSerializer.Meta):
        fields = [*HandoffSerializer.Meta.fields, "payload", "payload_sha256", "messages"]


ERROR_RESPONSE = ErrorSerializer
ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The handoff's id."
)


def _detail(request: Request, pk) -> Handoff:
    handoff = selectors.handoff_detail(request.user, pk)
    if handoff is None:
        raise NotFoundError()
    return handoff


# --- Views -------------------------------------------------------------------------------


@extend_schema(
    tags=TAGS,
    summary="Handoffs between agencies",
    description=(
        "Newest first. Late: finished after the due date, or still open with the due "
        "date past. Administrators see every handoff, an agency head those of the "
        "agency's own dossiers."
    ),
    parameters=[
        OpenApiParameter("status", OpenApiTypes.STR, enum=list(Handoff.Status.values)),
        OpenApiParameter("target", OpenApiTypes.STR, enum=list(Handoff.Target.values)),
        OpenApiParameter("late", OpenApiTypes.BOOL),
        OpenApiParameter("q", OpenApiTypes.STR, description="A dossier code (or part of it)"),
    ],
    responses={200: HandoffSerializer(many=True), 400: ERROR_RESPONSE, 403: ERROR_RESPONSE},
)
class HandoffListApi(generics.ListAPIView):
    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = HandoffSerializer

    def get_queryset(self):
        _check(self.request)
        form = HandoffFilterForm(self.request.query_params)
        if not form.is_valid():
            raise ValidationFailed(data=form.errors.get_json_data())
        return selectors.handoff_list(self.request.user, **form.filters())


class HandoffDetailApi(APIView):
    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="One handoff with its payload and its message log",
        parameters=[ID_PARAMETER],
        responses={200: HandoffDetailSerializer, 403: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def get(self, request: Request, pk) -> Response:
        _check(request)
        return Response(HandoffDetailSerializer(_detail(request, pk)).data)


class HandoffRetryApi(APIView):
    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Retry a failed handoff",
        description=(
            "Puts a failed handoff back in the outbox (pending, no attempt yet) and "
            "enqueues its delivery. Delivering again creates nothing twice."
        ),
        parameters=[ID_PARAMETER],
        request=None,
        responses={
            200: HandoffDetailSerializer,
            403: OpenApiResponse(ERROR_RESPONSE, description="Not an administrator or head"),
            404: OpenApiResponse(ERROR_RESPONSE, description="No such handoff for you"),
            409: OpenApiResponse(ERROR_RESPONSE, description="not_failed: it has not failed"),
        },
    )
    def post(self, request: Request, pk) -> Response:
        _check(request)
        services.handoff_retry(actor=request.user, handoff_id=pk)
        return Response(HandoffDetailSerializer(_detail(request, pk)).data)


urlpatterns = [
    path("back-office/handoffs/", HandoffListApi.as_view(), name="backoffice-handoffs"),
    path(
        "back-office/handoffs/<uuid:pk>/",
        HandoffDetailApi.as_view(),
        name="backoffice-handoff",
    ),
    path(
        "back-office/handoffs/<uuid:pk>/retry/",
        HandoffRetryApi.as_view(),
        name="backoffice-handoff-retry",
    ),
]
