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

The same rules as the pages (``onecounter.wallet.services``): a citizen reaches their
own dossiers and their minor children's; anything else is 404 ``not_found``,
the same as for an id that does not exist. Errors have the shape
``{"code", "message", "data"}``: 400 ``invalid`` (``data`` holds the problems
of each field), 403 ``forbidden`` (a step only the applicant may take), 404
``not_found``, 409 for a step impossible now (``invalid_transition``,
``no_supplement_requested``, ``not_returned``, ``already_rated``,
``issued_document``, ``document_in_use``).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import generics, permissions, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.errors import ErrorSerializer, NotFoundError, PermissionDeniedError, ValidationFailed
from onecounter.models import (
    Dossier,
    WalletDocument,
)
from onecounter.slips import issue as slips
from onecounter.wallet import documents as my_documents
from onecounter.wallet import services as wallet
from onecounter.wallet.forms import KeepDocumentForm, SupplementAnswerForm
from onecounter.wallet.serializers import (
    CitizenRatingSerializer,
    MyDossierDetailSerializer,
    MyDossierSerializer,
    WalletDocumentSerializer,
    WithdrawInput,
)

TAG = "me: dossiers and documents"
ERROR = ErrorSerializer
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


def _dossier(request: Request, pk: Any) -> Dossier:
    dossier = wallet.my_dossier(request.user, pk)
    if dossier is None:
        raise NotFoundError()
    return dossier


def _form_errors(form) -> ValidationFailed:
    return ValidationFailed(data=form.errors.get_json_data())


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
        return my_documents.wallet_documents(self.request.user)

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
                    "kind": serializers.ChoiceField(
                        choices=[k for k, _l in my_documents.KEPT_KINDS]
                    ),
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
            document = my_documents.wallet_keep(
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
        return my_documents.wallet_response(my_documents.wallet_document_of(request.user, pk))

    @_schema(
        summary="Delete a document I keep",
        description="Issued results stay (409 `issued_document`), and so does a document "
        "given in a dossier (409 `document_in_use`).",
        parameters=[document_id],
        responses={204: None, 404: ERROR, 409: ERROR},
    )
    def delete(self, request: Request, pk) -> Response:
        document = my_documents.wallet_document_of(request.user, pk)
        my_documents.wallet_remove(owner=request.user, document=document)
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
