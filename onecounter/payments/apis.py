"""The citizen's payment API (mounted under /api/v1/ by egov/api.py).

    POST me/dossiers/<uuid>/payments/   start paying the draft's online fee

Answers 201 ``{"payment": {...}, "redirect_url": "..."}``: send the citizen's
browser to ``redirect_url``; the gateway brings them back to the portal's
return page. Errors have the shape ``{"code", "message", "data"}``: 404
``not_found`` for a dossier that is not the caller's, 409 ``not_payable`` for a
dossier that is free, already paid or no longer a draft.
"""

from __future__ import annotations

from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.errors import ErrorSerializer, NotFoundError
from egov.http import client_ip
from onecounter.models import Payment
from onecounter.payments import base, selectors, services


class OnlinePaymentSerializer(serializers.ModelSerializer):
    dossier = serializers.UUIDField(source="dossier_id", read_only=True)
    amount = serializers.IntegerField(help_text="In đồng (VND).")

    class Meta:
        model = Payment
        fields = [
            "id",
            "dossier",
            "provider",
            "reference",
            "amount",
            "currency",
            "status",
            "created_at",
            "paid_at",
        ]
        read_only_fields = fields


class PaymentStartSerializer(serializers.Serializer):
    payment = OnlinePaymentSerializer()
    redirect_url = serializers.CharField(
        help_text="Where to send the citizen's browser to pay (the gateway's page)."
    )


class MyDossierPaymentsApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=["my dossiers"],
        summary="Start paying a draft's online fee",
        description=(
            "Creates a new payment attempt (each attempt has its own reference; an "
            "abandoned attempt can simply be followed by a new one) for the online fee of "
            "a draft of a full-online procedure, and returns the URL of the payment "
            "gateway. When the gateway confirms the payment, the draft is submitted and a "
            "fee receipt is issued."
        ),
        parameters=[
            OpenApiParameter(
                "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The dossier's id."
            )
        ],
        request=None,
        responses={
            201: PaymentStartSerializer,
            403: OpenApiResponse(ErrorSerializer, description="Not signed in."),
            404: OpenApiResponse(
                ErrorSerializer, description="`not_found`: not one of your dossiers."
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="`not_payable`: free, already paid, or no longer a draft.",
            ),
            429: OpenApiResponse(
                ErrorSerializer,
                description="`too_many_attempts`: too many attempts for this dossier just now.",
            ),
        },
    )
    def post(self, request: Request, pk) -> Response:
        dossier = selectors.dossier_for_owner(request.user, pk)
        if dossier is None:
            raise NotFoundError()
        provider = base.default_provider()
        payment, url = services.payment_start(
            dossier=dossier,
            actor=request.user,
            ip=client_ip(request),
            return_url=request.build_absolute_uri(reverse("payments:return", args=[provider.name])),
        )
        return Response(
            {
                "payment": OnlinePaymentSerializer(payment).data,
                "redirect_url": request.build_absolute_uri(url),
            },
            status=status.HTTP_201_CREATED,
        )


urlpatterns = [
    path(
        "me/dossiers/<uuid:pk>/payments/",
        MyDossierPaymentsApi.as_view(),
        name="me-dossier-payments",
    ),
]
