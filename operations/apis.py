"""Staff API of the failures page (mounted under /api/v1/operations/failures/).

Administrators (superusers) see every failure, population imports included; an
agency head those of the agency's dossiers; anyone else gets 403 ``forbidden``.

    GET  operations/failures/                           open (or handled) failures, newest first
    GET  operations/failures/<kind>/<id>/               one failure with its raw error
    POST operations/failures/<kind>/<id>/retry/         redo the work (event, document, handoff,
                                                        registry; a notice is resent)
    POST operations/failures/<kind>/<id>/resend/        send a notice again
    POST operations/failures/<kind>/<id>/handle/        mark handled: {"reason": "..."}

Errors have the shape ``{"code", "message", "data"}``: 403 ``forbidden``, 404
``not_found`` (a failure the user may not see answers the same, and so does
one that is not failing any more), 400 ``reason_required`` or ``invalid``,
409 ``not_retryable``, ``not_failed`` (a handoff still being retried),
``already_delivered``, ``already_handled``.
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
from rest_framework import permissions, serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.errors import ErrorSerializer, NotFoundError, PermissionDeniedError, ValidationFailed
from onecounter.processing.apis import STAFF_AUTHENTICATION
from operations import failures, services
from operations.forms import FailureFilterForm
from operations.models import FailureKind

TAGS = ["back office: failures"]
ERROR_RESPONSE = ErrorSerializer


def _check(request: Request) -> None:
    if not failures.may_view_failures(request.user):
        raise PermissionDeniedError()


@extend_schema_field(
    {
        "allOf": [{"type": "string", "enum": list(FailureKind.values)}],
        "description": "event, document (PDF), notice, payment, handoff, registry, "
        "import (a population import run: administrators only).",
    }
)
class FailureKindField(serializers.CharField):
    pass


@extend_schema_field(
    {
        "allOf": [{"type": "string", "enum": list(failures.STATES)}],
        "description": "failed: no attempt left; retrying: an error, attempts left; "
        "late: waiting, no error.",
    }
)
class FailureStateField(serializers.CharField):
    pass


class ResolutionSerializer(serializers.Serializer):
    reason = serializers.CharField()
    actor = serializers.CharField(source="actor.full_name", help_text="Who marked it handled.")
    at = serializers.DateTimeField()


class FailureSerializer(serializers.Serializer):
    kind = FailureKindField()
    object_id = serializers.CharField(help_text="The failed row's id (with the kind, its key).")
    key = serializers.CharField(help_text="<kind>:<id>")
    dossier_id = serializers.UUIDField(allow_null=True)
    dossier_code = serializers.CharField(
        help_text="Empty for a notice without a dossier and for an import (see details.file)."
    )
    agency = serializers.CharField(source="agency_name")
    since = serializers.DateTimeField(help_text="When the work was asked for.")
    tries = serializers.IntegerField(
        allow_null=True, help_text="Attempts so far (a payment: callbacks received; a PDF: null)."
    )
    state = FailureStateField()
    error = serializers.CharField(help_text="The last error in plain words (translated).")
    details = serializers.DictField(
        child=serializers.CharField(),
        help_text="Per kind: a notice's email and sms (sent, failed, pending, none); a handoff's "
        "target, status and receiver; a payment's provider and reference; a PDF's title; an "
        "import's file, status, counts (rows_read, inserted, updated, unchanged, rejected), "
        "rejects_file, host, pid and actor.",
    )
    can_retry = serializers.BooleanField()
    can_resend = serializers.BooleanField()
    resolution = ResolutionSerializer(allow_null=True, help_text="When marked handled.")


class FailureDetailSerializer(FailureSerializer):
    raw_error = serializers.CharField(help_text="The error as recorded (technical).")


class HandleSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, allow_blank=True, help_text="Why nothing more is needed (required)."
    )


class ActionSerializer(serializers.Serializer):
    queued = serializers.CharField(help_text="What was queued again: event, handoff or notice.")


KIND_PARAMETER = OpenApiParameter(
    "kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(FailureKind.values)
)
ID_PARAMETER = OpenApiParameter(
    "object_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The failed row's id."
)


def _kind(kind: str) -> str:
    if kind not in FailureKind.values:
        raise NotFoundError()
    return kind


class FailureListApi(APIView):
    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Failed or late background work",
        description=(
            "Every job that failed or is late, newest first: a step's slips and notice "
            "(event), a PDF (document), a notice's email or SMS, a payment awaiting the "
            "provider past its expiry, a handoff, a post to the civil-status registry, a "
            "population import (failed, with rejected rows, or running too long). "
            "Administrators see all, an agency head those of the agency's dossiers."
        ),
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, enum=list(FailureKind.values)),
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=["open", "handled"],
                description="open (default) or handled (marked handled, still failing)",
            ),
            OpenApiParameter("limit", OpenApiTypes.INT),
            OpenApiParameter("offset", OpenApiTypes.INT),
        ],
        responses={
            200: FailureSerializer(many=True),
            400: ERROR_RESPONSE,
            403: ERROR_RESPONSE,
        },
    )
    def get(self, request: Request) -> Response:
        _check(request)
        form = FailureFilterForm(request.query_params)
        if not form.is_valid():
            raise ValidationFailed(data=form.errors.get_json_data())
        rows = failures.failure_list(request.user, **form.filters())
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(FailureSerializer(page, many=True).data)


class FailureDetailApi(APIView):
    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="One failure with its raw error",
        parameters=[KIND_PARAMETER, ID_PARAMETER],
        responses={200: FailureDetailSerializer, 403: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def get(self, request: Request, kind: str, object_id: str) -> Response:
        _check(request)
        row = failures.failure_detail(request.user, _kind(kind), object_id)
        if row is None:
            raise NotFoundError()
        return Response(FailureDetailSerializer(row).data)


ACTION_ERRORS = {
    403: OpenApiResponse(ERROR_RESPONSE, description="Not an administrator or agency head"),
    404: OpenApiResponse(ERROR_RESPONSE, description="No such failure for you"),
    409: OpenApiResponse(
        ERROR_RESPONSE,
        description="not_retryable, not_failed, already_delivered or already_handled",
    ),
}


class FailureRetryApi(APIView):
    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Retry a failure",
        description=(
            "An event (or the event a PDF belongs to) is queued again with its attempts "
            "cleared; a failed handoff goes back to the outbox; a notice is resent. The "
            "row leaves the list once the work is done. A payment cannot be retried "
            "(409 not_retryable): check it with the provider, then mark it handled. Nor "
            "can an import (409 not_retryable): re-run it on the server."
        ),
        parameters=[KIND_PARAMETER, ID_PARAMETER],
        request=None,
        responses={202: ActionSerializer, **ACTION_ERRORS},
    )
    def post(self, request: Request, kind: str, object_id: str) -> Response:
        _check(request)
        queued = services.failure_retry(actor=request.user, kind=_kind(kind), object_id=object_id)
        return Response({"queued": queued}, status=202)


class NoticeResendApi(APIView):
    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Send a notice again",
        description="Its unsent channels (email, SMS) only; a sent channel is not sent twice.",
        parameters=[
            OpenApiParameter(
                "object_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The notice."
            )
        ],
        request=None,
        responses={202: ActionSerializer, **ACTION_ERRORS},
    )
    def post(self, request: Request, object_id: str) -> Response:
        _check(request)
        services.notice_resend(actor=request.user, notification_id=object_id)
        return Response({"queued": "notice"}, status=202)


class FailureHandleApi(APIView):
    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Mark a failure handled, with a reason",
        description="Recorded with the account and the time; the row moves to the handled list.",
        parameters=[KIND_PARAMETER, ID_PARAMETER],
        request=HandleSerializer,
        responses={
            201: ResolutionSerializer,
            400: OpenApiResponse(ERROR_RESPONSE, description="reason_required"),
            **ACTION_ERRORS,
        },
    )
    def post(self, request: Request, kind: str, object_id: str) -> Response:
        _check(request)
        data = HandleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        resolution = services.failure_mark_handled(
            actor=request.user,
            kind=_kind(kind),
            object_id=object_id,
            reason=data.validated_data["reason"],
        )
        return Response(ResolutionSerializer(resolution).data, status=201)


urlpatterns = [
    path("operations/failures/", FailureListApi.as_view(), name="operations-failures"),
    path(
        "operations/failures/notice/<uuid:object_id>/resend/",
        NoticeResendApi.as_view(),
        name="operations-failure-resend",
    ),
    path(
        "operations/failures/<slug:kind>/<str:object_id>/",
        FailureDetailApi.as_view(),
        name="operations-failure",
    ),
    path(
        "operations/failures/<slug:kind>/<str:object_id>/retry/",
        FailureRetryApi.as_view(),
        name="operations-failure-retry",
    ),
    path(
        "operations/failures/<slug:kind>/<str:object_id>/handle/",
        FailureHandleApi.as_view(),
        name="operations-failure-handle",
    ),
]
