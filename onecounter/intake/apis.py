"""The citizen's drafts through the API (``/api/v1/me/drafts/...``): the JSON
adapter of the intake, as ``onecounter.intake.views`` is the browser's.

The same plan, answers, checks and writes as the pages: the questions and
documents come from the plan (``onecounter.intake.plan``), a change of answers
is checked page by page (``validation.check_changes``) and saved through the
draft lock (``drafts.draft_save_page``). Only the draft's applicant gets
anything but a 404; a sent dossier answers 409 ``not_draft`` to a change.
Errors are ``egov.errors.DomainError`` (code, message, data), rendered by the
API's exception handler.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import permissions, serializers
from rest_framework import status as http
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.codes import ErrorCode
from egov.errors import ErrorSerializer, NotFoundError, ValidationFailed
from onecounter.intake import dates, drafts, validation
from onecounter.intake.answers import answers_of, choice_labels, prefilled_keys
from onecounter.intake.attachments import attachment_add, attachment_remove, attachments_of
from onecounter.intake.plan import Plan
from onecounter.models import Attachment, Dossier, DossierStatus, WalletDocument
from procedures import selectors as procedure_selectors


class FilingRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(source="display_name")


class SubjectSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    full_name = serializers.CharField()


class QuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    page = serializers.IntegerField()
    required = serializers.BooleanField()
    read_only = serializers.BooleanField(help_text="Filled in from the population database.")
    type = serializers.CharField(help_text="The form field's class, e.g. DateField.")
    choices = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Allowed values, if any."
    )


class DraftAttachmentSerializer(serializers.ModelSerializer):
    requirement = serializers.IntegerField(source="requirement_id", allow_null=True)
    question = serializers.CharField(source="field_key")
    wallet_document = serializers.UUIDField(source="wallet_document_id", allow_null=True)

    class Meta:
        model = Attachment
        fields = [
            "id",
            "requirement",
            "question",
            "wallet_document",
            "label",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
        ]


class DocumentSlotSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    mandatory = serializers.BooleanField()
    requirement = serializers.IntegerField(allow_null=True)
    question = serializers.CharField(allow_blank=True)
    wallet_kind = serializers.CharField(allow_blank=True)
    attachments = DraftAttachmentSerializer(many=True)


class DraftSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    code = serializers.CharField(allow_null=True)
    procedure = FilingRefSerializer()
    agency = FilingRefSerializer()
    subject_person = SubjectSerializer(allow_null=True)
    data = serializers.DictField()
    questions = QuestionSerializer(many=True)
    documents = DocumentSlotSerializer(many=True)
    missing_documents = serializers.ListField(child=serializers.CharField())
    declaration_accepted_at = serializers.DateTimeField(allow_null=True)
    payment_required = serializers.BooleanField()
    fee_online = serializers.IntegerField(
        help_text="The fee of this dossier filed online (VND), as worked out from the answers: "
        "e.g. the late-registration fee of a birth registered more than 60 days after it."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    resume_url = serializers.URLField()


def _draft_payload(request: Request, dossier: Dossier, plan: Plan) -> dict[str, Any]:
    prefilled = prefilled_keys(dossier)
    attachments = attachments_of(dossier)
    data = answers_of(dossier)
    hidden = plan.hidden(data)
    slots = plan.slots_for(data)
    questions = []
    for name, (page_number, field) in plan.questions.items():
        if name in hidden:
            continue  # not asked given the answers (e.g. a late registration's questions)
        question = {
            "key": name,
            "label": str(field.label or name),
            "page": page_number,
            "required": field.required,
            "read_only": name in prefilled,
            "type": type(field).__name__,
        }
        choices = choice_labels(field)
        if choices:
            question["choices"] = [k for k in choices if k != ""]
        questions.append(question)
    slot_payload = [
        {
            "key": slot.key,
            "label": slot.label,
            "mandatory": slot.mandatory,
            "requirement": slot.requirement.pk if slot.requirement else None,
            "question": slot.field_key,
            "wallet_kind": slot.wallet_kind,
            "attachments": [a for a in attachments if slot.holds(a)],
        }
        for slot in slots
    ]
    missing = [
        slot.key for slot in slots if slot.mandatory and not any(slot.holds(a) for a in attachments)
    ]
    payload = {
        "id": dossier.pk,
        "status": dossier.status,
        "code": dossier.code,
        "procedure": dossier.procedure,
        "agency": dossier.agency,
        "subject_person": dossier.subject_person,
        "data": answers_of(dossier),
        "questions": questions,
        "documents": slot_payload,
        "missing_documents": missing,
        "declaration_accepted_at": dossier.declaration_accepted_at,
        "payment_required": drafts.payment_required(dossier, data),
        "fee_online": drafts.online_fee(dossier, data),
        "created_at": dossier.created_at,
        "updated_at": dossier.updated_at,
        "resume_url": request.build_absolute_uri(reverse("filing:resume", args=[dossier.pk])),
    }
    return DraftSerializer(payload).data


def _api_dossier(request: Request, pk: uuid.UUID) -> tuple[Dossier, Plan]:
    dossier = drafts.dossier_of(request.user, pk)
    return dossier, drafts.filing_plan(dossier.procedure)


def _api_draft(request: Request, pk: uuid.UUID) -> tuple[Dossier, Plan]:
    dossier, plan = _api_dossier(request, pk)
    if dossier.status != DossierStatus.DRAFT:
        raise drafts.not_draft(dossier)
    return dossier, plan


ERROR = ErrorSerializer
DRAFT_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Draft id")
TAGS = ["me: online filing"]


class DraftCreateSerializer(serializers.Serializer):
    procedure = serializers.CharField(help_text="The procedure's code, e.g. 1.000656.")
    agency = serializers.CharField(
        required=False, help_text="The agency's code; optional when only one offers it."
    )
    subject_person = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="The id of your minor child's record when filing for them.",
    )


class DraftListSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    procedure = FilingRefSerializer()
    agency = FilingRefSerializer()
    updated_at = serializers.DateTimeField()
    resume_url = serializers.URLField()


class DraftsApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="My drafts",
        responses={200: DraftListSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        rows = [
            {
                "id": d.pk,
                "procedure": d.procedure,
                "agency": d.agency,
                "updated_at": d.updated_at,
                "resume_url": request.build_absolute_uri(reverse("filing:resume", args=[d.pk])),
            }
            for d in drafts.drafts_of(request.user)[:200]
        ]
        return Response(DraftListSerializer(rows, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Start a draft",
        description=(
            "Creates an online draft for yourself or your minor child, with what the "
            "population database holds filled in (read-only questions). 403 `identity_level` "
            "when your account's identity level is below the procedure's."
        ),
        request=DraftCreateSerializer,
        responses={
            201: DraftSerializer,
            400: ERROR,
            403: OpenApiResponse(ERROR, description="identity_level"),
            404: ERROR,
            409: OpenApiResponse(ERROR, description="not_online, handler_unavailable"),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = DraftCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        procedure = procedure_selectors.public_procedure(values["procedure"])
        if procedure is None:
            raise NotFoundError(data={"procedure": [_("No such procedure.")]})
        agencies = list(procedure.offered_by.all())
        if values.get("agency"):
            agency = next((a for a in agencies if a.code == values["agency"]), None)
        else:
            agency = agencies[0] if len(agencies) == 1 else None
        subject = None
        if values.get("subject_person"):
            # Only the citizen's own minor children: any other id gets the same answer.
            children = drafts.children_for(request.user)
            subject = next((c for c in children if c.pk == values["subject_person"]), None)
            if subject is None:
                message = _("You can file only for yourself or for your minor child.")
                raise ValidationFailed(message, data={"subject_person": [message]})
        dossier = drafts.draft_start(
            user=request.user, procedure=procedure, agency=agency, subject_person=subject
        )
        dossier, plan = _api_dossier(request, dossier.pk)
        return Response(_draft_payload(request, dossier, plan), status=http.HTTP_201_CREATED)


class DraftDataSerializer(serializers.Serializer):
    data = serializers.DictField(
        help_text="Answers by question key, in the shape GET returns them (dates ISO)."
    )


class DraftApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="One of my drafts (or a dossier I sent)",
        parameters=[DRAFT_ID],
        responses={200: DraftSerializer, 404: ERROR},
    )
    def get(self, request: Request, pk: uuid.UUID) -> Response:
        dossier, plan = _api_dossier(request, pk)
        return Response(_draft_payload(request, dossier, plan))

    @extend_schema(
        tags=TAGS,
        summary="Change answers of a draft",
        description=(
            "Each answer is checked by its page's form. Only the answers given are saved; "
            "400 `invalid` with `data: {question: [messages]}` saves nothing. Read-only "
            "(prefilled: from the population database, as on the pages, where they cannot be "
            "changed either) and unknown questions are refused, and so are the answers the "
            "portal works out itself (e.g. `late` of a birth registration: the server decides "
            "from the date of birth). 409 `not_draft` once sent."
        ),
        parameters=[DRAFT_ID],
        request=DraftDataSerializer,
        responses={200: DraftSerializer, 400: ERROR, 404: ERROR, 409: ERROR},
    )
    def patch(self, request: Request, pk: uuid.UUID) -> Response:
        dossier, plan = _api_draft(request, pk)
        serializer = DraftDataSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        errors, cleaned_by_page = validation.check_changes(
            plan,
            answers_of(dossier),
            serializer.validated_data["data"],
            prefilled=prefilled_keys(dossier),
            attached=validation.attached_questions(attachments_of(dossier)),
        )
        if errors:
            raise ValidationFailed(code=ErrorCode.INVALID, data=errors)
        for page_number, cleaned in cleaned_by_page.items():
            dossier = drafts.draft_save_page(
                dossier=dossier, user=request.user, page=page_number, cleaned_data=cleaned
            )
        dossier, plan = _api_dossier(request, pk)
        return Response(_draft_payload(request, dossier, plan))

    @extend_schema(
        tags=TAGS,
        summary="Delete a draft",
        description=(
            "Deletes the draft and its uploaded files (removed once the deletion is "
            "committed). 204; 404 for a draft that is not yours; 409 `not_draft` once it was "
            "sent (withdraw it instead); 409 `draft_in_use` when a payment was attempted for "
            "it (the payment trail is kept)."
        ),
        parameters=[DRAFT_ID],
        responses={204: None, 404: ERROR, 409: ERROR},
    )
    def delete(self, request: Request, pk: uuid.UUID) -> Response:
        dossier = drafts.dossier_of(request.user, pk)
        drafts.draft_delete(user=request.user, dossier=dossier)
        return Response(status=http.HTTP_204_NO_CONTENT)


class AttachmentUploadSerializer(serializers.Serializer):
    requirement = serializers.IntegerField(
        required=False, help_text="A required document's id (see `documents`)."
    )
    question = serializers.CharField(
        required=False, help_text="A file question's key (see `documents`)."
    )
    file = serializers.FileField(required=False, help_text="PDF, JPEG or PNG.")
    wallet_document = serializers.UUIDField(
        required=False, help_text="A document of your wallet of the kind asked for, instead."
    )


class AttachmentsApi(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        tags=TAGS,
        summary="Attach a document to a draft",
        description=(
            "multipart/form-data with `file` (checked by content: PDF, JPEG or PNG, "
            "size-limited; refused with 400 `file_type`, `file_too_large`, `file_corrupt` or "
            "`file_empty`, and nothing stored), or `wallet_document`; and `requirement` or "
            "`question`."
        ),
        parameters=[DRAFT_ID],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: DraftAttachmentSerializer, 400: ERROR, 404: ERROR, 409: ERROR},
    )
    def post(self, request: Request, pk: uuid.UUID) -> Response:
        dossier, plan = _api_draft(request, pk)
        serializer = AttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        requirement = None
        if values.get("requirement") is not None:
            requirement = next(
                (d for d in dossier.procedure.documents.all() if d.pk == values["requirement"]),
                None,
            )
            if requirement is None:
                raise NotFoundError(data={"requirement": [_("No such document.")]})
        wallet_document = None
        if values.get("wallet_document"):
            wallet_document = WalletDocument.objects.filter(
                pk=values["wallet_document"], owner=request.user
            ).first()
            if wallet_document is None:
                raise NotFoundError(data={"wallet_document": [_("No such document.")]})
        attachment = attachment_add(
            dossier=dossier,
            user=request.user,
            requirement=requirement,
            field_key=values.get("question", ""),
            upload=values.get("file"),
            wallet_document=wallet_document,
        )
        return Response(DraftAttachmentSerializer(attachment).data, status=http.HTTP_201_CREATED)


class AttachmentApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Remove a document from a draft",
        parameters=[
            DRAFT_ID,
            OpenApiParameter("attachment_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
        ],
        responses={204: None, 404: ERROR, 409: ERROR},
    )
    def delete(self, request: Request, pk: uuid.UUID, attachment_id: uuid.UUID) -> Response:
        dossier, _plan = _api_draft(request, pk)
        attachment = Attachment.objects.filter(pk=attachment_id, dossier=dossier).first()
        if attachment is None:
            raise NotFoundError()
        attachment_remove(dossier=dossier, user=request.user, attachment=attachment)
        return Response(status=http.HTTP_204_NO_CONTENT)


class SubmitSerializer(serializers.Serializer):
    declaration = serializers.BooleanField(
        help_text="I declare that the information I have given is true and complete."
    )


class SubmittedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    code = serializers.CharField()
    status = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    expected_result_date = serializers.DateField()
    confirmation_url = serializers.URLField()


class SubmitApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Send a draft to the one-stop desk",
        description=(
            "With `declaration: true`. 200 with the dossier code; 400 `declaration_required`, "
            "`answers_missing` (a question asked is not answered yet; data: `{question: "
            "[message]}`, each unanswered question's key), `documents_missing` (data: "
            "`{slot: [message]}`, including a document the answers call for, e.g. the "
            "witness's statement of a birth outside a hospital), `invalid` (data: `{key: "
            "[messages]}`; a child registered already is refused on `full_name`, naming the "
            "registration) or `duplicate` (the request is registered already, e.g. the same "
            "person in the same household, or the child's card asked for already; data: "
            "`duplicates: [{message, kind}]`); 402 `payment_required` for a fully online procedure whose fee for "
            "this dossier (e.g. a late registration's) is not paid (data: amount, currency, "
            "payment_url when online payment is available); "
            "409 `not_draft` when it was already sent."
        ),
        parameters=[DRAFT_ID],
        request=SubmitSerializer,
        responses={
            200: SubmittedSerializer,
            400: ERROR,
            402: OpenApiResponse(ERROR, description="payment_required"),
            404: ERROR,
            409: ERROR,
        },
    )
    def post(self, request: Request, pk: uuid.UUID) -> Response:
        dossier, _plan = _api_draft(request, pk)
        serializer = SubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not serializer.validated_data["declaration"]:
            message = _("Confirm that the information you gave is true.")
            raise ValidationFailed(
                message, code=ErrorCode.DECLARATION_REQUIRED, data={"declaration": [message]}
            )
        drafts.declaration_accept(dossier=dossier, user=request.user)
        try:
            dossier = drafts.submit_online(dossier=dossier, actor=request.user)
        except drafts.PaymentRequired as exc:
            with contextlib.suppress(NoReverseMatch):
                exc.data["payment_url"] = request.build_absolute_uri(
                    reverse("payments:start", args=[dossier.pk])
                )
            raise
        dossier = drafts.dossier_of(request.user, pk)
        return Response(
            SubmittedSerializer(
                {
                    "id": dossier.pk,
                    "code": dossier.code,
                    "status": dossier.status,
                    "submitted_at": dossier.submitted_at,
                    "expected_result_date": dates.expected_result_date(dossier),
                    "confirmation_url": request.build_absolute_uri(
                        reverse("filing:submitted", args=[dossier.pk])
                    ),
                }
            ).data
        )


urlpatterns = [
    path("me/drafts/", DraftsApi.as_view(), name="me-drafts"),
    path("me/drafts/<uuid:pk>/", DraftApi.as_view(), name="me-draft"),
    path("me/drafts/<uuid:pk>/attachments/", AttachmentsApi.as_view(), name="me-draft-attachments"),
    path(
        "me/drafts/<uuid:pk>/attachments/<uuid:attachment_id>/",
        AttachmentApi.as_view(),
        name="me-draft-attachment",
    ),
    path("me/drafts/<uuid:pk>/submit/", SubmitApi.as_view(), name="me-draft-submit"),
]
