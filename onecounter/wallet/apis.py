"""The signed-in citizen's API: their dossiers and their document wallet
(mounted under /api/v1/, URL names ``api:me-*``).

    GET    me/dossiers/                                   my dossiers, drafts first (paginated)
    GET    me/dossiers/<uuid>/                            one dossier: steps, requests, documents, actions
    POST   me/dossiers/<uuid>/supplement/                 answer the request for missing documents
    POST   me/dossiers/<uuid>/withdraw/                   withdraw with a reason, before a decision
    POST   me/dossiers/<uuid>/receive-result/             take a full-online result
    GET    me/dossiers/<uuid>/documents/<uuid>/           a slip or result (PDF)
    POST   me/dossiers/<uuid>/rating/                     rate a returned dossier, once
    GET    me/documents/                                  my wallet (paginated)
    POST   me/documents/                                  keep a document (multipart)
    GET    me/documents/<uuid>/                           download a wallet document
    DELETE me/documents/<uuid>/                           delete a document I keep

Authentication: the portal session (with its CSRF token for POST and DELETE).
API tokens are not offered yet (``rest_framework.authtoken`` is not installed).

The same rules as the pages (``onecounter.wallet``): a citizen reaches their
own dossiers and their minor children's; anything else is 404 ``not_found``,
the same as for an id that does not exist. Errors have the shape
``{"code", "message", "data"}``: 400 ``invalid`` (``data`` holds the problems
of each field), 403 ``forbidden`` (a step only the applicant may take), 404
``not_found``, 409 for a step impossible now (``invalid_transition``,
``no_supplement_requested``, ``not_returned``, ``already_rated``,
``issued_document``, ``document_in_use``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import generics, permissions, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.errors import NotFoundError, PermissionDeniedError, ValidationFailed
from onecounter import slips, wallet
from onecounter.forms_mine import KeepDocumentForm, SupplementAnswerForm
from onecounter.models import (
    Attachment,
    Dossier,
    DossierDocument,
    DossierStatus,
    SupplementRequest,
    WalletDocument,
)
from onecounter.views_mine import citizen_timeline, resume_url, status_words

TAG = "me: dossiers and documents"
ERROR = inline_serializer(
    "CitizenError",
    {
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "data": serializers.DictField(),
    },
)
ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Dossier id.")
PDF = OpenApiResponse(OpenApiTypes.BINARY, description="The PDF (`application/pdf`).")


def _schema(**kwargs: Any):
    """``extend_schema`` for an operation of this API (under its tag)."""
    return extend_schema(tags=[TAG], **kwargs)


def _dossier_schema(*, parameters: list | tuple = (), **kwargs: Any):
    """``_schema`` for an operation on one of my dossiers (its id in the path first)."""
    return _schema(parameters=[ID, *parameters], **kwargs)


class CitizenApi(APIView):
    # A view of this API: for a signed-in user only. (No docstring: drf-spectacular
    # would show it as the description of every operation that has none.)
    permission_classes = [permissions.IsAuthenticated]


def _absolute(request: Request | None, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


def _dossier(request: Request, pk: Any) -> Dossier:
    dossier = wallet.my_dossier(request.user, pk)
    if dossier is None:
        raise NotFoundError()
    return dossier


def _form_errors(form) -> ValidationFailed:
    return ValidationFailed(data=form.errors.get_json_data())


# --- Serializers ------------------------------------------------------------------------------


@extend_schema_field(
    {
        "allOf": [{"type": "string", "enum": [s.value for s in DossierStatus]}],
        "description": "The status in the one-stop state machine.",
    }
)
class StatusField(serializers.CharField):
    pass


@extend_schema_field(
    {
        "allOf": [{"type": "string", "enum": list(Dossier.Channel.values)}],
        "description": "How the dossier was filed: online or at the counter.",
    }
)
class ChannelField(serializers.CharField):
    pass


class CitizenRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(source="display_name")


class CitizenAskSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[
            "finish_draft",
            "send_documents",
            "pay_fee",
            "download_result",
            "collect_result",
            "rate",
            "none",
        ],
        help_text="What is asked of the citizen now.",
    )
    message = serializers.CharField(help_text="The same, in plain words.")
    deadline = serializers.DateField(allow_null=True, help_text="send_documents: by this date.")


class MyDossierSerializer(serializers.ModelSerializer):
    procedure = CitizenRefSerializer()
    agency = CitizenRefSerializer()
    status = StatusField(read_only=True)
    channel = ChannelField(read_only=True)
    public_status = serializers.SerializerMethodField(
        help_text="The status in plain terms: `draft` or a public tracking status "
        "(e.g. `awaiting_documents`, `result_ready`)."
    )
    status_label = serializers.SerializerMethodField()
    about = serializers.SerializerMethodField(
        help_text="The child the dossier is about, when it is filed for a minor child."
    )
    expected_date = serializers.SerializerMethodField(
        help_text="Sent but not yet received: the expected result date."
    )
    late = serializers.BooleanField(source="is_late")
    asked = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    continue_url = serializers.SerializerMethodField(
        help_text="A draft: where the filing continues."
    )

    class Meta:
        model = Dossier
        fields = [
            "id",
            "code",
            "procedure",
            "agency",
            "channel",
            "status",
            "public_status",
            "status_label",
            "about",
            "created_at",
            "updated_at",
            "submitted_at",
            "received_at",
            "due_date",
            "expected_date",
            "late",
            "apologised",
            "asked",
            "url",
            "continue_url",
        ]

    def get_public_status(self, obj: Dossier) -> str:
        return status_words(obj)[0]

    def get_status_label(self, obj: Dossier) -> str:
        return str(status_words(obj)[1])

    def get_about(self, obj: Dossier) -> str | None:
        person_id = self.context.get("person_id")
        subject = obj.subject_person
        if subject is None or subject.pk == person_id:
            return None
        return subject.full_name

    def get_expected_date(self, obj: Dossier) -> dt.date | None:
        return self.context.get("expected", {}).get(obj.pk)

    @extend_schema_field(CitizenAskSerializer)
    def get_asked(self, obj: Dossier) -> dict[str, Any]:
        return CitizenAskSerializer(wallet.asked_now(obj)).data

    def get_url(self, obj: Dossier) -> str:
        return _absolute(self.context.get("request"), reverse("api:me-dossier", args=[obj.pk]))

    def get_continue_url(self, obj: Dossier) -> str | None:
        if obj.status != DossierStatus.DRAFT:
            return None
        return _absolute(self.context.get("request"), resume_url(obj))


class CitizenStepSerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text="When the step was taken.")
    label = serializers.CharField()
    who = serializers.CharField(
        help_text="Who took it: “you”, “the system”, or a staff member's role and agency, "
        "e.g. “One-stop clerk — UBND phường Long Biên” (never a staff member's name)."
    )
    reason = serializers.CharField(allow_blank=True)
    new_due_date = serializers.DateField(allow_null=True)


class CitizenAttachmentSerializer(serializers.ModelSerializer):
    from_wallet = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "label", "uploaded_at", "from_wallet", "url"]

    def get_from_wallet(self, obj: Attachment) -> bool:
        return obj.wallet_document_id is not None

    def get_url(self, obj: Attachment) -> str | None:
        if not obj.file:
            return None
        url = reverse("mine:attachment", args=[obj.dossier_id, obj.pk])
        return _absolute(self.context.get("request"), url)


class CitizenSupplementSerializer(serializers.ModelSerializer):
    attachments = CitizenAttachmentSerializer(many=True)

    class Meta:
        model = SupplementRequest
        fields = [
            "items",
            "note",
            "before_receipt",
            "requested_at",
            "deadline",
            "answered_at",
            "attachments",
        ]


class CitizenDocumentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = DossierDocument
        fields = ["id", "kind", "title", "rendered_at", "url"]

    def get_url(self, obj: DossierDocument) -> str:
        url = reverse("api:me-dossier-document", args=[obj.dossier_id, obj.pk])
        return _absolute(self.context.get("request"), url)


class WithdrawInput(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, default="", help_text="Required."
    )


class CitizenRatingSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField(read_only=True)


class MyDossierDetailSerializer(MyDossierSerializer):
    steps = serializers.SerializerMethodField()
    supplements = CitizenSupplementSerializer(many=True)
    documents = serializers.SerializerMethodField()
    results = serializers.SerializerMethodField(
        help_text="The results, once ready: the dossier's own, then those of the dossiers "
        "handed on from it to other agencies (e.g. a birth's residence confirmation and "
        "health-insurance card), each downloaded from its own dossier (`url`)."
    )
    attachments = serializers.SerializerMethodField()
    rating = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField(
        help_text="What the viewer may do now: `withdraw`, `supply` / `resubmit` (answer "
        "the request for documents), `hand_back` (take a full-online result), `rate`."
    )

    class Meta(MyDossierSerializer.Meta):
        fields = [
            *MyDossierSerializer.Meta.fields,
            "original_due_date",
            "paused_on",
            "result_ready_at",
            "finished_at",
            "fee",
            "paid_at",
            "steps",
            "supplements",
            "documents",
            "results",
            "attachments",
            "rating",
            "allowed_actions",
        ]

    @extend_schema_field(CitizenStepSerializer(many=True))
    def get_steps(self, obj: Dossier) -> list[dict[str, Any]]:
        steps = citizen_timeline(
            list(obj.events.all()), dossier=obj, viewer=self.context["request"].user
        )
        return CitizenStepSerializer(steps, many=True).data

    @extend_schema_field(CitizenDocumentSerializer(many=True))
    def get_documents(self, obj: Dossier) -> list[dict[str, Any]]:
        return CitizenDocumentSerializer(obj.ready_documents, many=True, context=self.context).data

    @extend_schema_field(CitizenDocumentSerializer(many=True))
    def get_results(self, obj: Dossier) -> list[dict[str, Any]]:
        if obj.status not in (DossierStatus.RESULT_READY, DossierStatus.RETURNED):
            return []
        results = wallet.dossier_results(
            obj, self.context["request"].user, person=self.context.get("person")
        )
        return CitizenDocumentSerializer(results, many=True, context=self.context).data

    @extend_schema_field(CitizenAttachmentSerializer(many=True))
    def get_attachments(self, obj: Dossier) -> list[dict[str, Any]]:
        return CitizenAttachmentSerializer(
            obj.filed_attachments, many=True, context=self.context
        ).data

    @extend_schema_field(CitizenRatingSerializer(allow_null=True))
    def get_rating(self, obj: Dossier) -> dict[str, Any] | None:
        if not wallet.has_rating(obj):
            return None
        return CitizenRatingSerializer(obj.rating).data

    def get_allowed_actions(self, obj: Dossier) -> list[str]:
        actions = wallet.citizen_actions(obj, self.context["request"].user)
        if wallet.can_rate(obj):
            actions.append("rate")
        return actions


class WalletDocumentSerializer(serializers.ModelSerializer):
    kind_label = serializers.SerializerMethodField()
    person = serializers.CharField(source="person.full_name", default=None)
    issued_by = CitizenRefSerializer(allow_null=True)
    dossier = serializers.UUIDField(source="dossier_id", allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = WalletDocument
        fields = [
            "id",
            "source",
            "kind",
            "kind_label",
            "title",
            "person",
            "issued_by",
            "dossier",
            "created_at",
            "url",
        ]

    def get_kind_label(self, obj: WalletDocument) -> str:
        return wallet.kind_label(obj.kind)

    def get_url(self, obj: WalletDocument) -> str:
        return _absolute(self.context.get("request"), reverse("api:me-document", args=[obj.pk]))


def _detail(request: Request, pk: Any, *, status_code: int = 200) -> Response:
    dossier = _dossier(request, pk)
    person = wallet.person_of(request.user)
    context = {
        "request": request,
        "expected": wallet.expected_dates([dossier]),
        "person_id": person.pk if person else None,
        "person": person,
    }
    return Response(MyDossierDetailSerializer(dossier, context=context).data, status=status_code)


# --- Views: dossiers ----------------------------------------------------------------------------


@_schema(
    summary="My dossiers",
    description="The signed-in citizen's dossiers and those about their minor children: "
    "drafts first, then open ones, then finished ones. Each says what is asked of the "
    "citizen now (`asked`).",
    responses={200: MyDossierSerializer(many=True), 403: ERROR},
)
class MyDossierListApi(generics.ListAPIView):
    serializer_class = MyDossierSerializer
    permission_classes = [permissions.IsAuthenticated]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = wallet.person_of(request.user)
        page = self.paginate_queryset(wallet.my_dossiers(request.user, person=person))
        context = {
            "request": request,
            "expected": wallet.expected_dates(page),
            "person_id": person.pk if person else None,
        }
        data = MyDossierSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)

    def get_queryset(self):  # for the schema only
        return Dossier.objects.none()


class MyDossierDetailApi(CitizenApi):
    @_dossier_schema(
        summary="One of my dossiers",
        description="With its steps (reasons included: it is the citizen's own dossier), "
        "requests for missing documents, slips and results, uploads and the actions open now.",
        responses={200: MyDossierDetailSerializer, 404: ERROR},
    )
    def get(self, request: Request, pk) -> Response:
        return _detail(request, pk)


class SupplementApi(CitizenApi):
    parser_classes = [MultiPartParser, FormParser]

    @_dossier_schema(
        summary="Answer the request for missing documents",
        description=(
            "Multipart. For each item n (0-based) of the open request (`supplements[0].items`): "
            "`file_<n>`, a PDF, JPEG or PNG up to 10 MB, or `wallet_<n>`, the id of a document "
            "of my wallet; and an optional `note`. A request before receipt sends the dossier "
            "back to the desk (`resubmit`); a request during processing restarts the clock "
            "(`supply`): the promised date moves later by the working days it was paused."
        ),
        request={
            "multipart/form-data": inline_serializer(
                "SupplementAnswer",
                {
                    "file_0": serializers.FileField(required=False),
                    "wallet_0": serializers.UUIDField(required=False),
                    "note": serializers.CharField(required=False),
                },
            )
        },
        responses={
            200: MyDossierDetailSerializer,
            400: OpenApiResponse(ERROR, description="A missing or refused file"),
            403: OpenApiResponse(ERROR, description="Only the applicant can answer"),
            404: ERROR,
            409: OpenApiResponse(ERROR, description="no_supplement_requested"),
        },
    )
    def post(self, request: Request, pk) -> Response:
        dossier = _dossier(request, pk)
        open_request = wallet.require_open_supplement(dossier)  # else 409
        if not {"supply", "resubmit"} & set(wallet.citizen_actions(dossier, request.user)):
            raise PermissionDeniedError()
        form = SupplementAnswerForm(
            request.data,
            request.FILES,
            request=open_request,
            wallet=WalletDocument.objects.filter(owner=request.user),
        )
        if not form.is_valid():
            raise _form_errors(form)
        try:
            wallet.supplement_answer(
                actor=request.user,
                dossier=dossier,
                items=form.supplied_items(),
                note=form.cleaned_data["note"],
            )
        except ValidationFailed as exc:
            index = exc.data.get("item") if isinstance(exc.data, dict) else None
            field = f"file_{index}" if index is not None else "__all__"
            raise ValidationFailed(
                exc.message,
                code=exc.code,
                data={field: [{"message": str(exc.message), "code": exc.code}]},
            ) from exc
        return _detail(request, pk)


class WithdrawApi(CitizenApi):
    @_dossier_schema(
        summary="Withdraw a dossier",
        description="Possible until a decision is made; 409 `invalid_transition` after.",
        request=WithdrawInput,
        responses={
            200: MyDossierDetailSerializer,
            400: ERROR,
            403: ERROR,
            404: ERROR,
            409: OpenApiResponse(ERROR, description="invalid_transition"),
        },
    )
    def post(self, request: Request, pk) -> Response:
        dossier = _dossier(request, pk)
        serializer = WithdrawInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The state machine checks, in this order: the state (409), the actor (403),
        # the reason (400 reason_required).
        wallet.dossier_withdraw(
            actor=request.user, dossier=dossier, reason=serializer.validated_data["reason"]
        )
        return _detail(request, pk)


class ReceiveResultApi(CitizenApi):
    @_dossier_schema(
        summary="Take a full-online result",
        description="The applicant takes the result online (the step `hand_back`); the "
        "dossier is then returned and can be rated.",
        request=None,
        responses={200: MyDossierDetailSerializer, 403: ERROR, 404: ERROR, 409: ERROR},
    )
    def post(self, request: Request, pk) -> Response:
        wallet.result_receive(actor=request.user, dossier=_dossier(request, pk))
        return _detail(request, pk)


class DossierDocumentApi(CitizenApi):
    @_dossier_schema(
        summary="Download a slip or result of my dossier",
        parameters=[
            OpenApiParameter("document_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
        ],
        responses={(200, "application/pdf"): PDF, 404: ERROR},
    )
    def get(self, request: Request, pk, document_id):
        document = wallet.my_document(request.user, pk, document_id)
        try:
            return slips.document_response(document)
        except FileNotFoundError as exc:
            raise Http404 from exc


class RatingApi(CitizenApi):
    @_dossier_schema(
        summary="Rate the service",
        description="Once, after the result has been handed over: 409 `not_returned` before, "
        "409 `already_rated` the second time.",
        request=inline_serializer(
            "RatingRequest",
            {
                "score": serializers.IntegerField(min_value=1, max_value=5),
                "comment": serializers.CharField(required=False, allow_blank=True),
            },
        ),
        responses={201: CitizenRatingSerializer, 400: ERROR, 404: ERROR, 409: ERROR},
    )
    def post(self, request: Request, pk) -> Response:
        dossier = _dossier(request, pk)
        # The service checks the state first (409), then the score (400).
        rating = wallet.rating_create(
            user=request.user,
            dossier=dossier,
            score=_int_or_none(request.data.get("score")),
            comment=str(request.data.get("comment") or ""),
        )
        return Response(CitizenRatingSerializer(rating).data, status=status.HTTP_201_CREATED)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- Views: wallet -------------------------------------------------------------------------------


class WalletListApi(generics.ListAPIView):
    serializer_class = WalletDocumentSerializer
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WalletDocument.objects.none()
        return wallet.wallet_documents(self.request.user)

    @_schema(
        summary="My documents",
        description="Results issued to me (`source` issued) first, then documents I keep.",
        responses={200: WalletDocumentSerializer(many=True), 403: ERROR},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @_schema(
        summary="Keep a document",
        description="Multipart: `file` (PDF, JPEG or PNG up to 10 MB; checked by its content, "
        "images re-encoded without their metadata), `kind` and an optional `title`.",
        request={
            "multipart/form-data": inline_serializer(
                "KeepDocument",
                {
                    "file": serializers.FileField(),
                    "kind": serializers.ChoiceField(choices=[k for k, _l in wallet.KEPT_KINDS]),
                    "title": serializers.CharField(required=False),
                },
            )
        },
        responses={201: WalletDocumentSerializer, 400: ERROR},
    )
    def post(self, request: Request) -> Response:
        form = KeepDocumentForm(request.data, request.FILES)
        if not form.is_valid():
            raise _form_errors(form)
        try:
            document = wallet.wallet_keep(
                owner=request.user,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                title=form.title_or_kind(),
            )
        except ValidationFailed as exc:
            raise ValidationFailed(
                exc.message,
                code=exc.code,
                data={"file": [{"message": str(exc.message), "code": exc.code}]},
            ) from exc
        data = WalletDocumentSerializer(document, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class WalletDocumentApi(CitizenApi):
    document_id = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)

    @_schema(
        summary="Download a document of my wallet",
        parameters=[document_id],
        responses={
            (200, "application/pdf"): PDF,
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            404: ERROR,
        },
    )
    def get(self, request: Request, pk):
        return wallet.wallet_response(wallet.wallet_document_of(request.user, pk))

    @_schema(
        summary="Delete a document I keep",
        description="Issued results stay (409 `issued_document`), and so does a document "
        "given in a dossier (409 `document_in_use`).",
        parameters=[document_id],
        responses={204: None, 404: ERROR, 409: ERROR},
    )
    def delete(self, request: Request, pk) -> Response:
        document = wallet.wallet_document_of(request.user, pk)
        wallet.wallet_remove(owner=request.user, document=document)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("me/dossiers/", MyDossierListApi.as_view(), name="me-dossiers"),
    path("me/dossiers/<uuid:pk>/", MyDossierDetailApi.as_view(), name="me-dossier"),
    path(
        "me/dossiers/<uuid:pk>/supplement/",
        SupplementApi.as_view(),
        name="me-dossier-supplement",
    ),
    path("me/dossiers/<uuid:pk>/withdraw/", WithdrawApi.as_view(), name="me-dossier-withdraw"),
    path(
        "me/dossiers/<uuid:pk>/receive-result/",
        ReceiveResultApi.as_view(),
        name="me-dossier-receive-result",
    ),
    path(
        "me/dossiers/<uuid:pk>/documents/<uuid:document_id>/",
        DossierDocumentApi.as_view(),
        name="me-dossier-document",
    ),
    path("me/dossiers/<uuid:pk>/rating/", RatingApi.as_view(), name="me-dossier-rating"),
    path("me/documents/", WalletListApi.as_view(), name="me-documents"),
    path("me/documents/<uuid:pk>/", WalletDocumentApi.as_view(), name="me-document"),
]
