"""The destruction lists under /api/v1/ (included by ``onecounter.api_urls``).

    GET  back-office/retention/lists/                          the lists (filters status, agency)
    GET  back-office/retention/lists/<id>/                     one list with its items
    POST back-office/retention/lists/<id>/approve/             approve, with a reason
    POST back-office/retention/lists/<id>/reject/              reject, with a reason
    POST back-office/retention/lists/<id>/items/<item>/exclude/ keep one dossier, with a reason

Only the heads of the list's agency, signed in to the portal (session with the
second factor): a decision to destroy records is a person's, so agency system
keys are not accepted. Anyone else gets 403 ``forbidden``; a list of another
agency is 404 ``not_found``. A decided list answers 409 ``list_decided``; the
proposer deciding their own list 403 ``four_eyes``; an empty reason 400
``reason_required`` with ``data.reason``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, permissions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.errors import ErrorSerializer, NotFoundError, PermissionDeniedError, ValidationFailed
from onecounter.models import DestructionList, DestructionListItem
from onecounter.retention import selectors, services

TAGS = ["back office: retention"]
ERROR = ErrorSerializer
AUTHENTICATION = [SessionAuthentication]
LIST_ID = OpenApiParameter(
    "list_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The list's number."
)
ITEM_ID = OpenApiParameter(
    "item_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The item's id."
)


@extend_schema_field(
    {
        "allOf": [{"type": "string", "enum": list(DestructionList.Status.values)}],
        "description": "proposed (awaiting a head's approval), approved (being carried out), "
        "rejected (nothing destroyed), executed (carried out).",
    }
)
class ListStatusField(serializers.CharField):
    pass


class PersonSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="__str__")


class DestructionListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agency = serializers.CharField(source="agency.code")
    status = ListStatusField()
    proposed_at = serializers.DateTimeField()
    proposed_by = PersonSerializer(
        allow_null=True, help_text="null: proposed by the daily retention job."
    )
    decided_by = PersonSerializer(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField()
    executed_at = serializers.DateTimeField(allow_null=True)
    items_total = serializers.IntegerField()
    items_excluded = serializers.IntegerField()
    items_done = serializers.IntegerField()


class ItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    dossier_code = serializers.CharField(source="dossier.code")
    procedure_code = serializers.CharField(source="dossier.procedure.code")
    procedure = serializers.CharField(source="dossier.procedure.display_name")
    closed_on = serializers.DateField()
    destroy_data = serializers.BooleanField(
        help_text="The attachments, answers, slips and personal data go."
    )
    destroy_results = serializers.BooleanField(help_text="The results and their wallet copies go.")
    excluded = serializers.BooleanField()
    excluded_reason = serializers.CharField()
    done_at = serializers.DateTimeField(allow_null=True)


class DestructionListDetailSerializer(DestructionListSerializer):
    items = serializers.SerializerMethodField()

    @extend_schema_field(ItemSerializer(many=True))
    def get_items(self, destruction_list: DestructionList) -> list[dict[str, Any]]:
        return ItemSerializer(selectors.items_of(destruction_list), many=True).data


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        allow_blank=True, max_length=2000, help_text="Why; kept with the list for ever."
    )


class FilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=DestructionList.Status.choices, required=False)
    agency = serializers.CharField(max_length=12, required=False)


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise ValidationFailed(data=serializer.errors)
    return serializer.validated_data


def _lists(request: Request) -> QuerySet[DestructionList]:
    if not selectors.review_agencies(request.user):
        raise PermissionDeniedError()
    return selectors.lists_for(request.user)


def _list(request: Request, list_id: int) -> DestructionList:
    destruction_list = _lists(request).filter(pk=list_id).first()
    if destruction_list is None:
        raise NotFoundError()
    return destruction_list


def _detail(request: Request, list_id: int) -> Response:
    return Response(DestructionListDetailSerializer(_list(request, list_id)).data)


ERRORS = {
    403: OpenApiResponse(ERROR, description="forbidden: not a head; four_eyes: your own list"),
    404: OpenApiResponse(ERROR, description="not_found: no such list for the user"),
}
STEP_ERRORS = {
    400: OpenApiResponse(ERROR, description="reason_required / invalid: `data.reason`"),
    **ERRORS,
    409: OpenApiResponse(ERROR, description="list_decided: approved or rejected already"),
}


@extend_schema(
    tags=TAGS,
    summary="The destruction lists of the agencies where you are a head",
    description="Newest first; each with its counts. Filter by `status` and `agency` (code).",
    parameters=[
        OpenApiParameter("status", OpenApiTypes.STR, enum=list(DestructionList.Status.values)),
        OpenApiParameter("agency", OpenApiTypes.STR, description="An agency's code"),
    ],
    responses={200: DestructionListSerializer(many=True), 400: ERROR, 403: ERROR},
)
class ListsApi(generics.ListAPIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = DestructionListSerializer

    def get_queryset(self) -> QuerySet[DestructionList]:
        if getattr(self, "swagger_fake_view", False):
            return DestructionList.objects.none()
        lists = _lists(self.request)
        data = _valid(FilterSerializer, self.request.query_params)
        if data.get("status"):
            lists = lists.filter(status=data["status"])
        if data.get("agency"):
            lists = lists.filter(agency__code=data["agency"])
        return lists


class StaffApi(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]


class ListDetailApi(StaffApi):
    @extend_schema(
        tags=TAGS,
        summary="One destruction list with its items",
        parameters=[LIST_ID],
        responses={200: DestructionListDetailSerializer, **ERRORS},
    )
    def get(self, request: Request, list_id: int) -> Response:
        return _detail(request, list_id)


class ApproveApi(StaffApi):
    @extend_schema(
        tags=TAGS,
        summary="Approve the list: its dossiers not kept are destroyed in the background",
        description=(
            "A head of the list's agency who did not propose it (four eyes; the daily job "
            "counts as the first pair of eyes). Irreversible."
        ),
        parameters=[LIST_ID],
        request=ReasonSerializer,
        responses={200: DestructionListDetailSerializer, **STEP_ERRORS},
    )
    def post(self, request: Request, list_id: int) -> Response:
        destruction_list = _list(request, list_id)
        data = _valid(ReasonSerializer, request.data)
        services.list_approve(
            actor=request.user, destruction_list=destruction_list, reason=data["reason"]
        )
        return _detail(request, list_id)


class RejectApi(StaffApi):
    @extend_schema(
        tags=TAGS,
        summary="Reject the list: nothing is destroyed",
        description="Its dossiers are proposed again after a year.",
        parameters=[LIST_ID],
        request=ReasonSerializer,
        responses={200: DestructionListDetailSerializer, **STEP_ERRORS},
    )
    def post(self, request: Request, list_id: int) -> Response:
        destruction_list = _list(request, list_id)
        data = _valid(ReasonSerializer, request.data)
        services.list_reject(
            actor=request.user, destruction_list=destruction_list, reason=data["reason"]
        )
        return _detail(request, list_id)


class ExcludeApi(StaffApi):
    @extend_schema(
        tags=TAGS,
        summary="Keep one dossier of a proposed list off the destruction (e.g. a legal hold)",
        parameters=[LIST_ID, ITEM_ID],
        request=ReasonSerializer,
        responses={200: DestructionListDetailSerializer, **STEP_ERRORS},
    )
    def post(self, request: Request, list_id: int, item_id: int) -> Response:
        destruction_list = _list(request, list_id)
        item = DestructionListItem.objects.filter(
            destruction_list=destruction_list, pk=item_id
        ).first()
        if item is None:
            raise NotFoundError()
        data = _valid(ReasonSerializer, request.data)
        services.item_exclude(actor=request.user, item=item, reason=data["reason"])
        return _detail(request, list_id)


urlpatterns = [
    path("back-office/retention/lists/", ListsApi.as_view(), name="backoffice-retention-lists"),
    path(
        "back-office/retention/lists/<int:list_id>/",
        ListDetailApi.as_view(),
        name="backoffice-retention-list",
    ),
    path(
        "back-office/retention/lists/<int:list_id>/approve/",
        ApproveApi.as_view(),
        name="backoffice-retention-approve",
    ),
    path(
        "back-office/retention/lists/<int:list_id>/reject/",
        RejectApi.as_view(),
        name="backoffice-retention-reject",
    ),
    path(
        "back-office/retention/lists/<int:list_id>/items/<int:item_id>/exclude/",
        ExcludeApi.as_view(),
        name="backoffice-retention-exclude",
    ),
]
