"""The public, read-only API of the procedure catalog (mounted under /api/v1/).

Open to anyone (``AllowAny``), like the catalog pages: only published
procedures within their active dates are listed.
"""

from __future__ import annotations

import datetime as dt
import re

from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from citizens.models import Agency
from egov.errors import NotFoundError, ValidationFailed
from procedures import selectors
from procedures.models import Procedure

# --- Serializers ----------------------------------------------------------------------------


class ProcedureFieldSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()


class ProcedureAgencyUnitSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()


class ProcedureOfferingAgencySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    kind = serializers.CharField()
    unit = ProcedureAgencyUnitSerializer()
    address = serializers.CharField()
    phone = serializers.CharField()


class ProcedureDocumentSerializer(serializers.Serializer):
    name = serializers.CharField()
    name_en = serializers.CharField()
    originals = serializers.IntegerField()
    copies = serializers.IntegerField()
    mandatory = serializers.BooleanField()
    wallet_kind = serializers.CharField(
        help_text="Kind of wallet document accepted instead of an upload ('' if none)."
    )
    template_url = serializers.SerializerMethodField()

    def get_template_url(self, document) -> str | None:
        if not document.template:
            return None
        return reverse(
            "procedures:document-template",
            args=[document.procedure.code, document.pk],
            request=self.context.get("request"),
        )


class ProcedureQuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    label_en = serializers.CharField()
    help_text = serializers.CharField()
    help_text_en = serializers.CharField()
    kind = serializers.CharField()
    required = serializers.BooleanField()
    choices = serializers.SerializerMethodField()
    min_value = serializers.IntegerField(allow_null=True)
    max_value = serializers.IntegerField(allow_null=True)
    max_length = serializers.IntegerField(allow_null=True)
    page = serializers.IntegerField()

    def get_choices(self, question) -> list[str]:
        return [line.strip() for line in question.choices.splitlines() if line.strip()]


class ProcedureChannelSerializer(serializers.Serializer):
    working_days = serializers.IntegerField()
    fee = serializers.IntegerField(help_text="In đồng (VND); 0 when free.")
    available = serializers.BooleanField()


class ProcedureSummarySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    field = ProcedureFieldSerializer()
    level = serializers.CharField(
        help_text="Who decides: 'city' (a city department) or 'commune' (a ward/commune). "
        "A plain string: an enum named Level would clash with the administrative units' level."
    )
    agency_kind = serializers.ChoiceField(choices=Agency.Kind.choices)
    online_level = serializers.ChoiceField(choices=Procedure.OnlineLevel.choices)
    identity_level = serializers.IntegerField()
    online = serializers.SerializerMethodField()
    counter = serializers.SerializerMethodField()
    offered_by = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    @extend_schema_field(ProcedureChannelSerializer)
    def get_online(self, procedure) -> dict:
        return {
            "working_days": procedure.days_online,
            "fee": procedure.fee_online,
            "available": "online" in selectors.channels(procedure),
        }

    @extend_schema_field(ProcedureChannelSerializer)
    def get_counter(self, procedure) -> dict:
        return {
            "working_days": procedure.days_counter,
            "fee": procedure.fee_counter,
            "available": True,
        }

    def get_offered_by(self, procedure) -> list[str]:
        return [agency.code for agency in procedure.offered_by.all()]

    def get_url(self, procedure) -> str:
        return reverse(
            "api:procedure-detail", args=[procedure.code], request=self.context.get("request")
        )


class ProcedureDetailSerializer(ProcedureSummarySerializer):
    summary = serializers.CharField()
    summary_en = serializers.CharField()
    conditions = serializers.CharField()
    conditions_en = serializers.CharField()
    legal_basis = serializers.CharField()
    result_document = serializers.CharField()
    result_document_en = serializers.CharField()
    handler = serializers.CharField()
    fee_late = serializers.IntegerField(
        help_text="The fee of a late registration in đồng (VND), online or at the counter, "
        "paid before the dossier is received (e.g. a birth registered more than 60 days after "
        "it: Law on Civil Status 2014 art. 11, only a registration in time is free); 0 when free."
    )
    active_from = serializers.DateField(allow_null=True)
    active_to = serializers.DateField(allow_null=True)
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    documents = ProcedureDocumentSerializer(many=True)
    questions = ProcedureQuestionSerializer(source="form_fields", many=True)
    offering_agencies = ProcedureOfferingAgencySerializer(source="offered_by", many=True)
    expected_result_date_url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()

    def get_expected_result_date_url(self, procedure) -> str:
        return reverse(
            "api:procedure-expected-result-date",
            args=[procedure.code],
            request=self.context.get("request"),
        )

    def get_page_url(self, procedure) -> str:
        return reverse(
            "procedures:detail", args=[procedure.code], request=self.context.get("request")
        )


class ExpectedResultDateSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The procedure code.")
    channel = serializers.ChoiceField(choices=["online", "counter"])
    submitted_at = serializers.DateTimeField()
    receipt_day = serializers.DateField(
        help_text="The working day the dossier counts as received on (after 15:00 or on a "
        "day off: the next working day)."
    )
    working_days = serializers.IntegerField()
    expected_result_date = serializers.DateField()


class ProcedureFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)
    field = serializers.CharField(required=False, allow_blank=True, max_length=40)
    online_level = serializers.ChoiceField(
        choices=Procedure.OnlineLevel.values, required=False, allow_blank=True
    )
    level = serializers.ChoiceField(
        choices=Procedure.Level.values, required=False, allow_blank=True
    )
    agency_kind = serializers.ChoiceField(
        choices=Agency.Kind.values, required=False, allow_blank=True
    )
    agency = serializers.CharField(required=False, allow_blank=True, max_length=12)
    ward = serializers.CharField(required=False, allow_blank=True, max_length=5)


def _invalid(errors) -> ValidationFailed:
    return ValidationFailed(data=errors)


# --- Views ---------------------------------------------------------------------------------


@extend_schema(
    tags=["procedures"],
    summary="The procedure catalog",
    description=(
        "Published procedures in force today. Search and filters combine; the name search "
        'ignores accents ("dang ky khai sinh" finds "Đăng ký khai sinh").'
    ),
    parameters=[
        OpenApiParameter("q", OpenApiTypes.STR, description="Words of the name, or the code"),
        OpenApiParameter("field", OpenApiTypes.STR, description="Field code, e.g. civil-status"),
        OpenApiParameter("online_level", OpenApiTypes.STR, enum=Procedure.OnlineLevel.values),
        OpenApiParameter("level", OpenApiTypes.STR, enum=Procedure.Level.values),
        OpenApiParameter("agency_kind", OpenApiTypes.STR, enum=Agency.Kind.values),
        OpenApiParameter("agency", OpenApiTypes.STR, description="Code of an offering agency"),
        OpenApiParameter(
            "ward", OpenApiTypes.STR, description="Code of a ward/commune (2025) that offers it"
        ),
    ],
)
class ProcedureList(generics.ListAPIView):
    serializer_class = ProcedureSummarySerializer
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        params = ProcedureFilterSerializer(data=self.request.query_params)
        if not params.is_valid():
            raise _invalid(params.errors)
        data = params.validated_data
        return selectors.public_procedures(
            query=data.get("q", ""),
            field=data.get("field", ""),
            online_level=data.get("online_level", ""),
            level=data.get("level", ""),
            agency_kind=data.get("agency_kind", ""),
            agency=data.get("agency", ""),
            ward=data.get("ward", ""),
        )


def _public_procedure(code: str) -> Procedure:
    procedure = selectors.public_procedure(code)
    if procedure is None:
        raise NotFoundError(_("There is no published procedure with this code."))
    return procedure


class ProcedureDetail(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=["procedures"],
        summary="One procedure: documents, questions, fees, times, offering agencies",
        responses={200: ProcedureDetailSerializer, 404: OpenApiResponse(description="not_found")},
    )
    def get(self, request: Request, code: str) -> Response:
        procedure = _public_procedure(code)
        return Response(ProcedureDetailSerializer(procedure, context={"request": request}).data)


SPACED_OFFSET = re.compile(r"^(\S+[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


def parse_submitted_at(value: str | None) -> dt.datetime:
    """An ISO 8601 date and time; without an offset it is Hà Nội time. An
    unencoded "+" in a query string arrives as a space: "10:00 07:00" is
    read as "10:00+07:00"."""
    if not value:
        return timezone.now()
    value = value.strip()
    match = SPACED_OFFSET.match(value)
    if match:
        value = f"{match.group(1)}+{match.group(2)}"
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise _invalid(
            {
                "submitted_at": [
                    str(_("Give a date and time in ISO 8601, e.g. 2026-03-04T10:00+07:00."))
                ]
            }
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


class ExpectedResultDate(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=["procedures"],
        summary="When the result is due for a dossier filed at a given time",
        description=(
            "Counts the procedure's working days for the channel from the day of receipt (not "
            "counted), with the one-stop calendar: weekends, public holidays, make-up working "
            "days, and the 15:00 cut-off after which a dossier counts as received on the next "
            "working day. Encode the '+' of an offset as %2B in the query string."
        ),
        parameters=[
            OpenApiParameter(
                "submitted_at",
                OpenApiTypes.DATETIME,
                description="ISO 8601; default now; without an offset, Hà Nội time",
            ),
            OpenApiParameter(
                "channel",
                OpenApiTypes.STR,
                enum=["online", "counter"],
                description="Default online",
            ),
        ],
        responses={
            200: ExpectedResultDateSerializer,
            400: OpenApiResponse(description="invalid: a bad date/time or channel"),
            404: OpenApiResponse(description="not_found: no published procedure with this code"),
        },
        examples=[
            OpenApiExample(
                "Five working days, filed online on Wednesday 4 March 2026 at 10:00",
                value={
                    "code": "HN.KD.01",
                    "channel": "online",
                    "submitted_at": "2026-03-04T10:00:00+07:00",
                    "receipt_day": "2026-03-04",
                    "working_days": 5,
                    "expected_result_date": "2026-03-11",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, code: str) -> Response:
        procedure = _public_procedure(code)
        channel = request.query_params.get("channel") or "online"
        if channel not in selectors.CHANNELS:
            raise _invalid({"channel": [str(_("Choose online or counter."))]})
        submitted_at = parse_submitted_at(request.query_params.get("submitted_at"))
        if channel not in selectors.channels(procedure):
            raise _invalid({"channel": [str(_("This procedure cannot be filed online."))]})
        calendar = selectors.work_calendar(
            start=timezone.localdate(submitted_at) - dt.timedelta(days=1)
        )
        result = selectors.expected_result(
            procedure, channel=channel, submitted_at=submitted_at, calendar=calendar
        )
        return Response(
            ExpectedResultDateSerializer(
                {
                    "code": procedure.code,
                    "channel": result.channel,
                    "submitted_at": timezone.localtime(result.submitted_at),
                    "receipt_day": result.receipt_day,
                    "working_days": result.working_days,
                    "expected_result_date": result.expected_result_date,
                }
            ).data
        )


urlpatterns = [
    path("procedures/", ProcedureList.as_view(), name="procedures"),
    path("procedures/<str:code>/", ProcedureDetail.as_view(), name="procedure-detail"),
    path(
        "procedures/<str:code>/expected-result-date/",
        ExpectedResultDate.as_view(),
        name="procedure-expected-result-date",
    ),
]
