"""The staff API of the one-stop back office (mounted under /api/v1/back-office/).

Session authentication for staff (the MFA middleware covers the prefix);
everything is scoped to one agency the staff member belongs to as clerk,
officer or head, with the same checks as the back-office pages:

    GET  agencies/<code>/dossiers/                         the queue, filtered and paginated
    GET  agencies/<code>/dossiers/<uuid>/                  one dossier with its history
    POST agencies/<code>/dossiers/<uuid>/actions/<action>/ take one step

Errors have the shape ``{"code", "message", "data"}``: 403 ``forbidden`` for
an agency the user does not belong to or a step their role may not take, 404
``not_found`` for a dossier that is not the agency's, 409
``invalid_transition`` for a step impossible in the dossier's state, 400 for
bad parameters.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
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

from citizens import permissions as staff_permissions
from citizens.agency_api import AgencySystemAuthentication
from citizens.models import Agency
from egov.codes import ErrorCode
from egov.errors import ErrorSerializer, NotFoundError, PermissionDeniedError, ValidationFailed
from onecounter import selectors, transitions
from onecounter.models import (
    ApologySlip,
    Dossier,
    DossierDocument,
    DossierEvent,
    DossierStatus,
    SupplementRequest,
)
from onecounter.processing.forms import QueueFilterForm
from onecounter.transitions import perform

ACTION_NAMES = sorted(transitions.ACTIONS)


def _agency(request: Request, code: str) -> Agency:
    try:
        return staff_permissions.agency_for(request.user, code, selectors.DOSSIER_ROLES)
    except PermissionDenied as exc:
        raise PermissionDeniedError() from exc


def _dossier(agency: Agency, pk) -> Dossier:
    dossier = selectors.dossier_for_agency(agency=agency, pk=pk)
    if dossier is None:
        raise NotFoundError()
    return dossier


# --- Serializers ----------------------------------------------------------------------------


# Staff sign in with a session (and its second factor); an agency's own software
# with a one-stop API key acting in one role.
STAFF_AUTHENTICATION = [SessionAuthentication, AgencySystemAuthentication]


class PersonRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.SerializerMethodField()

    def get_name(self, obj) -> str:
        return obj.full_name or obj.email


class ProcedureRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField(source="display_name")


# Inline enums, wrapped in allOf so that drf-spectacular does not turn them into
# components: other APIs have "status" and "channel" fields with other choices,
# and the list and the detail would otherwise collide over the names.
@extend_schema_field(
    {
        "allOf": [
            {
                "type": "string",
                "enum": [s.value for s in DossierStatus if s != DossierStatus.DRAFT],
            }
        ],
        "description": "The dossier's status in the one-stop state machine.",
    }
)
class DossierStatusField(serializers.CharField):
    pass


@extend_schema_field(
    {
        "allOf": [{"type": "string", "enum": list(Dossier.Channel.values)}],
        "description": "How the dossier was filed.",
    }
)
class DossierChannelField(serializers.CharField):
    pass


class DossierSummarySerializer(serializers.ModelSerializer):
    procedure = ProcedureRefSerializer()
    status = DossierStatusField(read_only=True)
    channel = DossierChannelField(read_only=True)
    status_label = serializers.CharField(source="get_status_display")
    assigned_to = PersonRefSerializer(allow_null=True)
    due_soon = serializers.BooleanField(source="is_due_soon")
    late = serializers.BooleanField(source="is_late")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Dossier
        fields = [
            "id",
            "code",
            "procedure",
            "applicant_name",
            "channel",
            "status",
            "status_label",
            "submitted_at",
            "received_at",
            "due_date",
            "due_soon",
            "late",
            "apologised",
            "assigned_to",
            "url",
        ]

    def get_url(self, obj: Dossier) -> str:
        url = reverse("api:backoffice-dossier", args=[obj.agency.code, obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class EventSerializer(serializers.ModelSerializer):
    actor = PersonRefSerializer(allow_null=True)

    class Meta:
        model = DossierEvent
        fields = ["seq", "at", "action", "actor", "from_status", "to_status", "reason", "data"]


class SupplementSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupplementRequest
        fields = [
            "items",
            "note",
            "before_receipt",
            "requested_at",
            "deadline",
            "answered_at",
            "answer",
        ]


class ApologySerializer(serializers.ModelSerializer):
    class Meta:
        model = ApologySlip
        fields = ["old_due_date", "new_due_date", "reason", "issued_at"]


class DocumentSerializer(serializers.ModelSerializer):
    ready = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = DossierDocument
        fields = ["id", "kind", "title", "created_at", "rendered_at", "ready", "url"]

    def get_ready(self, obj: DossierDocument) -> bool:
        return bool(obj.file)

    def get_url(self, obj: DossierDocument) -> str | None:
        if not obj.file:
            return None
        url = reverse(
            "dossiers:document",
            kwargs={"code": obj.dossier.agency.code, "pk": obj.dossier_id, "document_id": obj.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class DossierDetailSerializer(DossierSummarySerializer):
    events = EventSerializer(many=True)
    supplements = SupplementSerializer(many=True)
    apologies = ApologySerializer(many=True)
    documents = DocumentSerializer(many=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(DossierSummarySerializer.Meta):
        fields = [
            *DossierSummarySerializer.Meta.fields,
            "applicant_id_number",
            "applicant_phone",
            "applicant_email",
            "applicant_address",
            "data",
            "original_due_date",
            "paused_on",
            "proposal",
            "decision_note",
            "decided_at",
            "result_ready_at",
            "finished_at",
            "fee",
            "events",
            "supplements",
            "apologies",
            "documents",
            "allowed_actions",
        ]

    def get_allowed_actions(self, obj: Dossier) -> list[str]:
        user = self.context["request"].user
        return [a.name for a in transitions.allowed_actions(obj, user)]


class ActionInputSerializer(serializers.Serializer):
    """The parameters of a step; each action reads the ones it needs."""

    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    items = serializers.ListField(
        child=serializers.CharField(max_length=500),
        required=False,
        max_length=30,
        help_text="request_supplement(_before_receipt): everything missing, one item each.",
    )
    officer = serializers.UUIDField(
        required=False, help_text="assign: the user id of an officer of the agency."
    )
    decision = serializers.ChoiceField(
        choices=["approve", "reject"], required=False, help_text="propose: the proposal."
    )
    new_due_date = serializers.DateField(
        required=False, help_text="apologise: the new promised date (after the current one)."
    )
    answer = serializers.DictField(
        required=False, help_text="supply / resubmit: what the applicant brought."
    )
    duplicate_decision = serializers.ChoiceField(
        choices=["not_duplicate"],
        required=False,
        help_text=(
            "approve: the head's decision on a likely duplicate (409 "
            "`duplicate_decision_required` lists them), with `reason`."
        ),
    )

    def perform_params(self, dossier: Dossier) -> dict[str, Any]:
        data = dict(self.validated_data)
        data.pop("reason", None)
        officer_id = data.pop("officer", None)
        if officer_id is not None:
            officer = selectors.agency_officers(dossier.agency).filter(pk=officer_id).first()
            if officer is None:
                raise ValidationFailed(
                    _("Choose an officer of this agency."),
                    code=ErrorCode.NOT_AN_OFFICER,
                    data={"officer": [str(officer_id)]},
                )
            data["officer"] = officer
        return data


ERROR_RESPONSE = ErrorSerializer
CODE_PARAMETER = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The agency's code, e.g. UBLB."
)
ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The dossier's id."
)


# --- Views ---------------------------------------------------------------------------------


@extend_schema(
    tags=["back office: dossiers"],
    summary="The agency's dossiers (queues and filters)",
    description=(
        "Drafts are never listed. `view` picks a queue: to_receive, to_hand_back (clerks), "
        "my_work (officers), unassigned (officers, heads), to_sign, late (heads), all. "
        "Due soon: due within 2 working days. Late: the promised date has passed while "
        "the clock runs, or an apology slip was issued."
    ),
    parameters=[
        CODE_PARAMETER,
        OpenApiParameter("view", OpenApiTypes.STR, enum=[v.key for v in selectors.QUEUE_VIEWS]),
        OpenApiParameter(
            "status",
            OpenApiTypes.STR,
            enum=[s.value for s in DossierStatus if s != DossierStatus.DRAFT],
        ),
        OpenApiParameter("procedure", OpenApiTypes.UUID, description="A procedure's id"),
        OpenApiParameter("due_soon", OpenApiTypes.BOOL),
        OpenApiParameter("late", OpenApiTypes.BOOL),
        OpenApiParameter("mine", OpenApiTypes.BOOL, description="Assigned to me"),
        OpenApiParameter("q", OpenApiTypes.STR, description="Dossier code or applicant's name"),
    ],
    responses={200: DossierSummarySerializer(many=True), 400: ERROR_RESPONSE, 403: ERROR_RESPONSE},
)
class DossierListApi(generics.ListAPIView):
    authentication_classes = STAFF_AUTHENTICATION
    serializer_class = DossierSummarySerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        agency = _agency(self.request, self.kwargs["code"])
        roles = staff_permissions.roles_in(self.request.user, agency)
        params = self.request.query_params.copy()
        params.setdefault("view", "all")  # the API lists everything unless asked
        form = QueueFilterForm(
            params,
            views=selectors.queue_views_for(roles),
            procedures=selectors.queue_procedures(agency),
        )
        if not form.is_valid():
            raise ValidationFailed(data=form.errors.get_json_data())
        return selectors.dossier_queue(
            agency=agency, user=self.request.user, filters=form.filters()
        ).select_related("agency")


class DossierDetailApi(APIView):
    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=["back office: dossiers"],
        summary="One dossier with its history, slips and the steps open to you",
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        responses={200: DossierDetailSerializer, 403: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def get(self, request: Request, code: str, pk) -> Response:
        dossier = _dossier(_agency(request, code), pk)
        return Response(DossierDetailSerializer(dossier, context={"request": request}).data)


class DossierActionApi(APIView):
    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=["back office: dossiers"],
        summary="Take one step on a dossier",
        description=(
            "Runs the one-stop state machine. The parameters each step reads: "
            "`reason` (required by refuse, send_back, reject, withdraw, apologise), "
            "`items` (request_supplement, request_supplement_before_receipt), "
            "`officer` (assign; default: yourself if you are an officer), "
            "`decision` (propose), `new_due_date` (apologise), `answer` (supply, resubmit), "
            "`duplicate_decision` (approve). Approving a dossier that repeats a registered "
            "one (the child registered already, the person in the household already, the "
            "child's card issued or asked for already) is refused with 409 `duplicate`, "
            "naming it in `data.duplicates`; a likely duplicate (another record or dossier "
            "of the same mother and date of birth) needs `duplicate_decision: "
            "not_duplicate` and a `reason`, else 409 `duplicate_decision_required`."
        ),
        parameters=[
            CODE_PARAMETER,
            ID_PARAMETER,
            OpenApiParameter("action", OpenApiTypes.STR, OpenApiParameter.PATH, enum=ACTION_NAMES),
        ],
        request=ActionInputSerializer,
        responses={
            200: DossierDetailSerializer,
            400: OpenApiResponse(ERROR_RESPONSE, description="Bad or missing parameters"),
            403: OpenApiResponse(ERROR_RESPONSE, description="Not your agency, or not your role"),
            404: OpenApiResponse(ERROR_RESPONSE, description="Not a dossier of this agency"),
            409: OpenApiResponse(
                ERROR_RESPONSE,
                description=(
                    "invalid_transition: impossible in this state; duplicate; "
                    "duplicate_decision_required; fee_unpaid (`receive`): the fee due before "
                    "receipt, e.g. a late birth registration's, is not paid: take it in cash "
                    "and record it with `record_cash_payment` first (data: amount, currency)"
                ),
            ),
        },
    )
    def post(self, request: Request, code: str, pk, action: str) -> Response:
        agency = _agency(request, code)
        dossier = _dossier(agency, pk)
        if action not in transitions.ACTIONS:
            raise NotFoundError(code=ErrorCode.UNKNOWN_ACTION)
        serializer = ActionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        perform(
            dossier,
            action,
            actor=request.user,
            reason=serializer.validated_data.get("reason", ""),
            **serializer.perform_params(dossier),
        )
        dossier = _dossier(agency, pk)
        return Response(DossierDetailSerializer(dossier, context={"request": request}).data)


urlpatterns = [
    path(
        "back-office/agencies/<str:code>/dossiers/",
        DossierListApi.as_view(),
        name="backoffice-dossiers",
    ),
    path(
        "back-office/agencies/<str:code>/dossiers/<uuid:pk>/",
        DossierDetailApi.as_view(),
        name="backoffice-dossier",
    ),
    path(
        "back-office/agencies/<str:code>/dossiers/<uuid:pk>/actions/<str:action>/",
        DossierActionApi.as_view(),
        name="backoffice-dossier-action",
    ),
]
